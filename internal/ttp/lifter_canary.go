package ttp

import (
	"slices"
	"strconv"
	"strings"
)

// NewCanaryLifter tags canary_fingerprint events (R0049–R0053): automation
// flags, automation canvas/audio hashes, WebRTC, timezone/language and
// platform inconsistencies. Evidence is only {metric, matched_signature}.
func NewCanaryLifter(o LifterOptions) *Lifter {
	return newLifter("canary_fingerprint", []string{KindCanary}, ownerOf("canary_fingerprint"),
		map[string]predicate{
			"canary_navigator_webdriver":    predWebdriver,
			"canary_automation_hash":        predAutomationHash,
			"canary_webrtc_ip_leak":         predWebRTCLeak,
			"canary_tz_lang_geo_mismatch":   predTZLang,
			"canary_platform_inconsistency": predPlatform,
		}, o)
}

func canaryFiring(metric, sig string) *firing {
	return &firing{extra: map[string]any{"metric": metric, "matched_signature": sig}}
}

func predWebdriver(_ *Lifter, _ *Rule, ev Event, st *evalState) (*firing, error) {
	if !isTrue(ev.Payload, "navigator_webdriver") {
		return nil, nil
	}
	return canaryFiring("navigator_webdriver", "navigator.webdriver_true"), nil
}

// predAutomationHash: the canary matched a known automation tool's canvas
// or audio hash; the tool must be in the rule's tools list.
func predAutomationHash(_ *Lifter, r *Rule, ev Event, st *evalState) (*firing, error) {
	tools := paramStrings(r, "tools")
	for _, key := range []string{"canvas_audio_hash_match", "matched_tool"} {
		t := strings.ToLower(strings.TrimSpace(pStr(ev.Payload, key)))
		if t != "" && slices.Contains(tools, t) {
			return canaryFiring("canvas_audio_hash", t), nil
		}
	}
	return nil, nil
}

func predWebRTCLeak(_ *Lifter, _ *Rule, ev Event, st *evalState) (*firing, error) {
	if !isTrue(ev.Payload, "webrtc_geo_mismatch") {
		return nil, nil
	}
	return canaryFiring("webrtc_geo_mismatch", "webrtc_private_vs_source_ip"), nil
}

// predTZLang: min_zones is a rule parameter here (hard-coded 3 in the
// original).
func predTZLang(_ *Lifter, r *Rule, ev Event, st *evalState) (*firing, error) {
	zones := paramFloat(r, "min_zones", 3)
	if n, ok := pnum(ev.Payload, "tz_mismatch_zones"); ok && n >= zones {
		return canaryFiring("timezone_geo_mismatch", "tz_zones>="+strconv.FormatFloat(zones, 'f', -1, 64)), nil
	}
	if isTrue(ev.Payload, "lang_country_mismatch") {
		return canaryFiring("language_country_mismatch", "lang_vs_source_country"), nil
	}
	return nil, nil
}

func predPlatform(_ *Lifter, _ *Rule, ev Event, st *evalState) (*firing, error) {
	if isTrue(ev.Payload, "platform_ua_inconsistent") {
		return canaryFiring("platform_ua_mismatch", "navigator.platform_vs_userAgent"), nil
	}
	if isTrue(ev.Payload, "ua_webgl_mismatch") {
		return canaryFiring("ua_webgl_mismatch", "userAgent_vs_webgl_renderer"), nil
	}
	return nil, nil
}
