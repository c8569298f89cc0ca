package store

import (
	"context"
	"time"

	"github.com/decnet/decnet/internal/model"
)

// AuthAggregate summarises one source address's credential attempts for the
// TTP credential rules (brute force, guessing, spraying, default
// credentials, valid accounts after brute force).
type AuthAggregate struct {
	// Attempts and FailCount count attempts (attempt_count sums); the rest
	// describe the most-tried principal and the most-shared secret.
	Attempts      int64
	FailCount     int64
	Username      string
	PasswordCount int64
	// AccountCount is how many distinct principals were tried with
	// SharedPasswordHash, the secret tried against the most of them.
	AccountCount       int64
	SharedPasswordHash string
	// Result is "success" when any attempt succeeded, else "failure";
	// PriorBrute is true when five or more failures came before the first
	// success.
	Result     string
	PriorBrute bool
	Successes  []LoginPair
	Service    string
}

// LoginPair is a principal and the printable secret that logged in.
type LoginPair struct {
	Username string
	Password string
}

// IdentitySpray is the most-shared secret across an identity's attackers
// and how many accounts and attackers it was tried with.
type IdentitySpray struct {
	SharedPasswordHash string
	AccountCount       int64
	AttackerCount      int64
}

// CommandLogSource reads stored command events for the TTP backfill.
type CommandLogSource interface {
	// CountCommandLogs counts command-family logs rows at or after since.
	CountCommandLogs(ctx context.Context, since time.Time) (int64, error)
	// ListCommandLogs returns up to limit command-family logs rows at or
	// after since with an id above afterID, in id order.
	ListCommandLogs(ctx context.Context, since time.Time, afterID int64, limit int) ([]model.LogEntry, error)
}

// CommandEventTypes are the event types whose text is an attacker command
// (pipeline.md §3.1).
var CommandEventTypes = []string{"command", "exec", "query", "input", "shell_input", "execute", "run", "sql_query",
	"redis_command"}
