package ttp

import (
	"net/netip"
	"slices"
)

// NewIPv6LeakLifter tags ipv6_leak events (R0059): an attacker exposed an
// IPv6 link-local address, so it sits on the decky's segment or tunnels
// into it.
func NewIPv6LeakLifter(o LifterOptions) *Lifter {
	return newLifter("ipv6_leak", []string{KindIPv6Leak}, ownerOf("ipv6_leak"),
		map[string]predicate{"ipv6_link_local_leak": predIPv6Leak}, o)
}

var (
	iidKinds    = []string{"eui64", "stable_privacy", "temporary", "unknown"}
	leakVectors = []string{"passive_ndp", "passive_mdns", "passive_tcp", "active_ns", "active_echo"}
)

// predIPv6Leak parses addr (or src_ip) as an IPv6 link-local unicast
// address, fe80::/10; the original's "fe80:" prefix test let any string
// through and missed fe81–febf.
func predIPv6Leak(_ *Lifter, _ *Rule, ev Event, st *evalState) (*firing, error) {
	raw := pStr(ev.Payload, "addr")
	if raw == "" {
		raw = pStr(ev.Payload, "src_ip")
	}
	a, err := netip.ParseAddr(raw)
	if err != nil || !a.Is6() || a.Is4In6() || !a.IsLinkLocalUnicast() {
		return nil, nil
	}
	ex := map[string]any{"addr": a.WithZone("").String(), "iid_kind": "unknown"}
	if k := pStr(ev.Payload, "iid_kind"); slices.Contains(iidKinds, k) {
		ex["iid_kind"] = k
	}
	if v := pStr(ev.Payload, "vector"); slices.Contains(leakVectors, v) {
		ex["vector"] = v
	}
	for _, k := range []string{"mac_oui", "on_iface", "observed_at"} {
		if s := pStr(ev.Payload, k); s != "" {
			ex[k] = clipString(s, 64)
		}
	}
	v4 := pStr(ev.Payload, "attacker_v4")
	if v4 == "" {
		v4 = pStr(ev.Payload, "attacker_ip")
	}
	if v4 != "" {
		ex["attacker_v4"] = clipString(v4, 64)
	}
	return &firing{extra: ex}, nil
}
