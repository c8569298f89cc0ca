// Package shell emulates a bash-like login shell over a per-decky virtual
// filesystem, shared by the SSH and Telnet honeypots (ARCHITECTURE.md §6).
//
// An FS is built once per decky from its Persona: a distro base tree
// (/etc, /proc, /usr/bin …) with seeded variation, bait files and anything
// Plant adds later (canary tokens). It is immutable once built except
// through Plant, so any number of sessions read it without locks. Each
// Session works on a copy-on-write view of it: what an attacker writes,
// moves or deletes is visible inside that session only, and counts against
// the session's write budget.
//
// Nothing an attacker types is executed. A hand-written lexer and parser
// turn the line into a small syntax tree, and an evaluator walks it;
// every command is a Go function that answers the way the real tool does on
// the persona's distro. Downloaded files are never run, even through the
// emulator: "./x.sh" answers with a believable error. Every loop, recursion,
// expansion and buffer is capped by a named constant in limits.go, and a
// panic inside a command is recovered and reported as that command crashing.
//
// A Recorder sees each executed simple command and each download attempt,
// which the services turn into events.
package shell
