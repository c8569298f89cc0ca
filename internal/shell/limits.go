package shell

import "time"

// Bounds on what one session may cost. Attacker input is hostile
// (ARCHITECTURE.md §2 rule 4): every loop, buffer and recursion in the
// package is capped by one of these, and the caps are generous enough that
// ordinary attacker sessions (recon, a dropper, a miner install) never meet
// them.
const (
	// MaxLineLen caps one input line; longer lines are cut. Real
	// interactive bash has no limit, but 64 KiB holds any pasted one-liner.
	MaxLineLen = 64 << 10

	// MaxPipeline caps the commands in one pipeline; beyond it the shell
	// answers as a host out of processes would.
	MaxPipeline = 256

	// MaxNesting caps how deep $(…), backticks, sh -c, eval and nested
	// shells may nest, both while parsing and while running. (Compound
	// commands such as if, for and ( … ) may nest 32 deep.)
	MaxNesting = 8

	// MaxFuncDepth caps shell function recursion (bash's FUNCNEST), which
	// is what defuses the classic fork bomb.
	MaxFuncDepth = 32

	// MaxCmdOutput caps what one command may write to one stream (1 MiB);
	// the rest is dropped, which also ends `yes` and `cat /dev/zero`.
	MaxCmdOutput = 1 << 20

	// MaxRunOutput caps everything one input line may write to the
	// terminal.
	MaxRunOutput = 4 << 20

	// MaxSubstOutput caps the captured output of one command substitution.
	MaxSubstOutput = 256 << 10

	// MaxSessionWrite caps the bytes a session may write into its view of
	// the filesystem in total; past it writes fail with ENOSPC.
	MaxSessionWrite = 16 << 20

	// MaxFileSize caps one file in the virtual filesystem.
	MaxFileSize = 4 << 20

	// MaxFilesCreated caps the files, directories and links a session may
	// create.
	MaxFilesCreated = 4096

	// MaxVarLen caps one shell variable's value; longer values are cut.
	MaxVarLen = 64 << 10

	// MaxVars caps the number of shell variables (and, separately,
	// functions and aliases) a session may define.
	MaxVars = 1024

	// MaxArgs and MaxArgBytes cap one command's argv after expansion;
	// past them the command fails with "Argument list too long", as it
	// would past ARG_MAX.
	MaxArgs     = 8192
	MaxArgBytes = 256 << 10

	// MaxLoopIterations caps the iterations of one for/while/until loop.
	MaxLoopIterations = 1000

	// MaxStepsPerLine caps the simple commands one input line may run,
	// loops, functions and substitutions included.
	MaxStepsPerLine = 4096

	// MaxRunTime caps the wall time of one input line; ctx cancellation
	// ends it sooner.
	MaxRunTime = 5 * time.Second

	// MaxSleep caps how long `sleep` (and simulated network waits) really
	// wait, whatever they were asked.
	MaxSleep = 2 * time.Second

	// MaxGlobMatches caps the names one glob pattern expands to, and
	// MaxWalk the directory entries one glob or find may visit.
	MaxGlobMatches = 1024
	MaxWalk        = 20000

	// MaxVisitsPerLine caps the directory entries all the walks of one
	// line (find, globs, du, ls -R, grep -r, including find -exec find)
	// may visit together.
	MaxVisitsPerLine = 200000

	// MaxExpandPerLine caps the bytes one line's word expansions may
	// produce in total (a variable doubled in a loop hits it).
	MaxExpandPerLine = 32 << 20

	// MaxHistory caps the lines kept for History and `history`.
	MaxHistory = 2000

	// maxPathLen and maxNameLen are Linux's PATH_MAX and NAME_MAX.
	maxPathLen = 4096
	maxNameLen = 255

	// maxSymlinkHops is Linux's MAXSYMLINKS: more hops is ELOOP.
	maxSymlinkHops = 40

	// maxDeviceRead is how much one read of /dev/zero or /dev/urandom
	// yields; the output cap would stop a longer read anyway.
	maxDeviceRead = MaxCmdOutput

	// maxPatternScan bounds the value length for which ${x#pat}-style
	// glob trimming runs (it is quadratic); longer values are left as is.
	maxPatternScan = 4096
)
