package ttp

import "strings"

// NewCredentialLifter tags auth_attempt and credential events with the
// credential rules (R0001, R0002, R0004–R0006, R0080): brute force,
// guessing, spraying from one source, stuffing, valid and default accounts.
func NewCredentialLifter(o LifterOptions) *Lifter {
	return newLifter("credential", []string{KindAuthAttempt, KindCredential}, ownerOf("credential"),
		map[string]predicate{
			"credential_generic_brute":       predGenericBrute,
			"credential_password_guessing":   predPasswordGuessing,
			"credential_password_spraying":   predSprayingOneSource,
			"credential_stuffing":            predStuffing,
			"credential_valid_account_use":   predValidAccount,
			"credential_default_credentials": predDefaultCredentials,
		}, o)
}

// NewIdentityLifter tags identity rollups (R0003: spraying across an
// identity's attackers). Its tags carry identity_uuid only.
func NewIdentityLifter(o LifterOptions) *Lifter {
	l := newLifter("identity", []string{KindIdentity}, ownerOf("identity"),
		map[string]predicate{"identity_password_spraying": predIdentitySpraying}, o)
	l.identityOnly = true
	return l
}

// credExtras is the credential lifter's common evidence (ttp.md §3.3):
// *_count keys as numbers, the others as bounded strings.
func credExtras(p map[string]any, keys ...string) map[string]any {
	out := map[string]any{}
	for _, k := range keys {
		v, ok := p[k]
		if !ok || v == nil {
			continue
		}
		if strings.HasSuffix(k, "_count") {
			if f, ok := asNum(v); ok {
				out[k] = f
			}
			continue
		}
		if s, ok := v.(string); ok && s != "" {
			out[k] = clipString(s, 256)
		}
	}
	return out
}

func predGenericBrute(_ *Lifter, r *Rule, ev Event, st *evalState) (*firing, error) {
	n, ok := pnum(ev.Payload, "fail_count")
	if !ok || n < paramFloat(r, "fail_threshold", 5) {
		return nil, nil
	}
	return &firing{extra: credExtras(ev.Payload, "fail_count", "service", "username")}, nil
}

func predPasswordGuessing(_ *Lifter, r *Rule, ev Event, st *evalState) (*firing, error) {
	n, ok := pnum(ev.Payload, "password_count")
	if strings.TrimSpace(pStr(ev.Payload, "username")) == "" || !ok || n < paramFloat(r, "pw_threshold", 5) {
		return nil, nil
	}
	return &firing{extra: credExtras(ev.Payload, "password_count", "service", "username")}, nil
}

// spraying is shared by R0080 (one source) and R0003 (an identity): one
// secret tried against at least account_threshold principals.
func spraying(r *Rule, p map[string]any, keys ...string) *firing {
	n, ok := pnum(p, "account_count")
	if pStr(p, "shared_password_hash") == "" || !ok || n < paramFloat(r, "account_threshold", 3) {
		return nil
	}
	return &firing{extra: credExtras(p, keys...)}
}

func predSprayingOneSource(_ *Lifter, r *Rule, ev Event, st *evalState) (*firing, error) {
	return spraying(r, ev.Payload, "account_count", "shared_password_hash", "service"), nil
}

func predIdentitySpraying(_ *Lifter, r *Rule, ev Event, st *evalState) (*firing, error) {
	return spraying(r, ev.Payload, "account_count", "shared_password_hash", "attacker_count"), nil
}

func predStuffing(_ *Lifter, r *Rule, ev Event, st *evalState) (*firing, error) {
	n, ok := pnum(ev.Payload, "reuse_count")
	if pStr(ev.Payload, "credential_hash") == "" || !ok || n < paramFloat(r, "min_reuse", 1) {
		return nil, nil
	}
	return &firing{extra: credExtras(ev.Payload, "credential_hash", "reuse_count", "target_count")}, nil
}

func predValidAccount(_ *Lifter, r *Rule, ev Event, st *evalState) (*firing, error) {
	if !strings.EqualFold(strings.TrimSpace(pStr(ev.Payload, "result")), "success") {
		return nil, nil
	}
	if paramBool(r, "require_prior_brute", true) && !isTrue(ev.Payload, "prior_brute") {
		return nil, nil
	}
	return &firing{extra: credExtras(ev.Payload, "fail_count", "service", "username")}, nil
}

// predDefaultCredentials matches any succeeded pair against the rule's
// pairs parameter: a list of {username, password} maps or "user:pass"
// strings. The pair matched is from our public list, so naming it in the
// evidence leaks no attacker secret.
func predDefaultCredentials(_ *Lifter, r *Rule, ev Event, st *evalState) (*firing, error) {
	type pair struct{ u, p string }
	var want []pair
	raw, _ := r.Match.Params["pairs"].([]any)
	for _, e := range raw {
		switch x := e.(type) {
		case map[string]any:
			u, _ := x["username"].(string)
			p, _ := x["password"].(string)
			if u != "" {
				want = append(want, pair{u, p})
			}
		case string:
			if u, p, ok := strings.Cut(x, ":"); ok && u != "" {
				want = append(want, pair{u, p})
			}
		}
	}
	if len(want) == 0 {
		return nil, ruleErr("rule %s: match.pairs is empty", r.ID)
	}
	for _, m := range mapList(ev.Payload["successes"]) {
		u, uok := m["username"].(string)
		p, pok := m["password"].(string)
		if !uok || !pok {
			continue
		}
		for _, w := range want {
			if u == w.u && p == w.p {
				ex := credExtras(ev.Payload, "service")
				ex["username"] = u
				ex["matched_pair"] = w.u + ":" + w.p
				return &firing{extra: ex}, nil
			}
		}
	}
	return nil, nil
}
