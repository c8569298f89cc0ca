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
// the persona's distro. There is no os/exec, no real file access and no
// network access: wget and curl fail the way a host without a route out
// does unless the operator configured a capped Fetcher. Files in the view
// are never run, even through the emulator: "./x.sh", "sh x.sh" and
// "source x" answer as a real host plausibly would (quietly, or with the
// error a CRLF script or a foreign binary gives). Text piped into sh or
// bash ("echo … | base64 -d | sh") and the strings of sh -c, eval and
// python -c 'os.system("…")' are the intruder's own command lines and go
// through the emulator like typed ones.
//
// Every loop, recursion, expansion and buffer is capped by a named
// constant in limits.go, and a panic inside a command is recovered and
// reported as that command crashing ("Segmentation fault").
//
// A Recorder sees each executed simple command and each download attempt,
// which the services turn into events; an AnswerRecorder also sees what is
// typed at password prompts. Commands that ask (passwd, su, sudo, apt
// without -y) leave a question pending: Prompt then returns the question,
// Echo says whether to echo the answer, and the next Run line answers it.
package shell
