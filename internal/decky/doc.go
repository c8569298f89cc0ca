// Package decky holds what makes one fake host believable and reachable: the
// persona catalogues (archetypes, distros, OS fingerprint profiles), the
// per-decky seed that drives every persona choice, host keys and certificates
// persisted per decky, the network binding modes (loopback, alias, macvlan)
// and the fleet planner that turns deploy options or a deploy INI into
// model.Decky rows (spec/fleet.md §2, §3).
//
// Everything here except the key store and the binders is pure: the same
// inputs give the same personas, so deckies differ from each other but stay
// stable across restarts.
package decky
