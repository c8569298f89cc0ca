// Package services holds what every emulated protocol shares: the Service
// contract and its registry, the typed config schema with the coercion rules
// of fleet.md §1.1, the emitter that stamps events with the decky, service,
// addresses and session, the quarantine for captured files, and the accept
// loop that applies the shared limits (deadlines, per-IP and global
// connection caps, panic recovery) so no protocol has to get them right on
// its own. Protocols live in sub-packages (ssh, telnet, …) and register
// themselves from init.
package services
