package profiler

// BehaviorClass is attacker_behavior.behavior_class (pipeline.md §3.3).
type BehaviorClass string

// The behaviour classes classify_behavior can return.
const (
	ClassUnknown     BehaviorClass = "unknown"
	ClassSlowScan    BehaviorClass = "slow_scan"
	ClassScanning    BehaviorClass = "scanning"
	ClassBruteForce  BehaviorClass = "brute_force"
	ClassBeaconing   BehaviorClass = "beaconing"
	ClassInteractive BehaviorClass = "interactive"
	ClassMixed       BehaviorClass = "mixed"
)

// Rule is the 1-based number of the classify_behavior rule that fired, in the
// original's code order (its docstring order is stale).
type Rule int

// The seven rules of classify_behavior, in evaluation order.
const (
	RuleUnknown     Rule = 1 // n<3 or mean null
	RuleSlowScan    Rule = 2 // services≥2 ∧ mean≥10.0 ∧ n≥4
	RuleScanning    Rule = 3 // n≥3 ∧ ((services≥3 ∧ mean<10.0) ∨ (services≥2 ∧ mean<2.0))
	RuleBruteForce  Rule = 4 // services==1 ∧ n≥8 ∧ mean<5.0 ∧ cv<0.6
	RuleBeaconing   Rule = 5 // cv<0.35 ∧ mean≥5.0 ∧ n≥4
	RuleInteractive Rule = 6 // cv≥0.5 ∧ mean<5.0 ∧ n≥6
	RuleMixed       Rule = 7 // otherwise
)

// ClassifyBehavior is classify_behavior(stats, services_count): the seven
// rules of pipeline.md §3.3 in code order, on the rounded stats. It returns
// the class and the rule that fired.
//
// [GAP] the spec leaves cv null when the mean is 0 (every IAT is 0, a pure
// burst) without saying how the cv comparisons treat it. Here a null cv with a
// non-null mean counts as 0: all gaps are equal, so the cadence is perfectly
// regular. A mean of 0 is < 5.0, so only rule 4 can be affected: a one-service
// burst of ≥8 events is brute_force.
func ClassifyBehavior(st TimingStats, services int) (BehaviorClass, Rule) {
	n := st.EventCount
	if n < 3 || st.MeanIATS == nil {
		return ClassUnknown, RuleUnknown
	}
	mean := *st.MeanIATS
	cv := 0.0
	if st.CV != nil {
		cv = *st.CV
	}
	switch {
	case services >= 2 && mean >= 10.0 && n >= 4:
		return ClassSlowScan, RuleSlowScan
	case n >= 3 && ((services >= 3 && mean < 10.0) || (services >= 2 && mean < 2.0)):
		return ClassScanning, RuleScanning
	case services == 1 && n >= 8 && mean < 5.0 && cv < 0.6:
		return ClassBruteForce, RuleBruteForce
	case cv < 0.35 && mean >= 5.0 && n >= 4:
		return ClassBeaconing, RuleBeaconing
	case cv >= 0.5 && mean < 5.0 && n >= 6:
		return ClassInteractive, RuleInteractive
	}
	return ClassMixed, RuleMixed
}

// BeaconFields returns beacon_interval_s (the mean IAT) and beacon_jitter_pct
// (round(cv×100, 2)); both nil unless the class is beaconing.
func BeaconFields(st TimingStats, class BehaviorClass) (intervalS, jitterPct *float64) {
	if class != ClassBeaconing || st.MeanIATS == nil {
		return nil, nil
	}
	cv := 0.0
	if st.CV != nil {
		cv = *st.CV
	}
	return ptr(*st.MeanIATS), ptr(round(cv*100, 2))
}
