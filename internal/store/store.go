// Package store declares the repository interfaces decnet's workers and API
// consume, and the sentinel errors they return. The SQL implementation lives
// in store/sqlstore.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/decnet/decnet/internal/model"
)

// Sentinel errors returned by repositories; check them with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
	// ErrUnavailable marks failures to reach the database (connection
	// refused or lost, I/O error, lock wait exhausted): retrying later can
	// succeed, and callers report them as an outage rather than a bug.
	ErrUnavailable = errors.New("database unavailable")
)

// StateRepository is the generic key/value table holding JSON blobs.
type StateRepository interface {
	// GetState returns the JSON stored under key, or ErrNotFound.
	GetState(ctx context.Context, key string) ([]byte, error)
	// SetState stores value (JSON) under key, replacing any previous value.
	SetState(ctx context.Context, key string, value []byte) error
}

// IngestRepository writes what the ingest worker derives from events.
type IngestRepository interface {
	// CommitBatch writes the logs rows, credential upserts and bounty rows of
	// a batch in one transaction. Records whose event id is already stored are
	// skipped entirely, so replaying a batch changes nothing.
	CommitBatch(ctx context.Context, recs []model.IngestRecord) (model.IngestResult, error)
}

// BatchPreparer is implemented by IngestRepositories that can do a batch's
// CPU-bound encoding (JSON, hashes, clipping) apart from its transaction, so
// a caller can prepare the next batch while the current one commits.
// CommitPrepared(PrepareBatch(a), PrepareBatch(b)) is CommitBatch(a+b): one
// transaction for several batches, which a backlog can afford.
type BatchPreparer interface {
	PrepareBatch(recs []model.IngestRecord) (PreparedBatch, error)
	CommitPrepared(ctx context.Context, bs ...PreparedBatch) (model.IngestResult, error)
}

// PreparedBatch is a batch encoded by the repository that will commit it.
type PreparedBatch interface {
	// Len is the number of records after in-batch duplicates were dropped.
	Len() int
}

// LogQuery selects log rows, newest first.
type LogQuery struct {
	Limit, Offset int
	Decky         string
	Service       string
	EventType     string
	AttackerIP    string
	Since, Until  time.Time
}

// LogRepository reads the logs table.
type LogRepository interface {
	CountLogs(ctx context.Context) (int64, error)
	ListLogs(ctx context.Context, q LogQuery) ([]model.LogEntry, error)
	MaxLogID(ctx context.Context) (int64, error)
}

// CredentialQuery selects credential rows, most recently seen first.
type CredentialQuery struct {
	Limit, Offset int
	AttackerIP    string
	Service       string
}

// CredentialRepository reads the credentials table.
type CredentialRepository interface {
	ListCredentials(ctx context.Context, q CredentialQuery) ([]model.Credential, int64, error)
}

// BountyQuery selects bounty rows, newest first.
type BountyQuery struct {
	Limit, Offset int
	BountyType    string
	AttackerIP    string
}

// BountyRepository reads the bounty table.
type BountyRepository interface {
	ListBounties(ctx context.Context, q BountyQuery) ([]model.Bounty, int64, error)
}

// AttackerRepository stores one attacker row per source IP and its behaviour.
type AttackerRepository interface {
	// UpsertAttacker inserts or replaces the row for a.IP; a new row gets a
	// fresh uuid, an existing one keeps its uuid. It returns the stored row.
	UpsertAttacker(ctx context.Context, a model.Attacker) (model.Attacker, error)
	GetAttackerByUUID(ctx context.Context, uuid string) (model.Attacker, error)
	// GetAttackerUUIDByIP returns the uuid of the row for ip, or ErrNotFound.
	GetAttackerUUIDByIP(ctx context.Context, ip string) (string, error)
	UpsertAttackerBehavior(ctx context.Context, b model.AttackerBehavior) error
	GetAttackerBehavior(ctx context.Context, attackerUUID string) (model.AttackerBehavior, error)
}

// UserRepository stores accounts and revoked tokens.
type UserRepository interface {
	GetUserByUsername(ctx context.Context, username string) (model.User, error)
	GetUserByUUID(ctx context.Context, uuid string) (model.User, error)
	// CreateUser inserts u; a taken username is ErrConflict.
	CreateUser(ctx context.Context, u model.User) error
	// UpdateUserPassword sets the hash and must-change flag and moves
	// tokens_valid_from to validFrom, invalidating older tokens.
	UpdateUserPassword(ctx context.Context, uuid, hash string, mustChange bool, validFrom time.Time) error
	ListUsers(ctx context.Context) ([]model.User, error)
	// DeleteUser removes an account, or returns ErrNotFound.
	DeleteUser(ctx context.Context, uuid string) error
	// SetUserRole changes an account's role and moves tokens_valid_from
	// to validFrom; an unknown uuid is ErrNotFound.
	SetUserRole(ctx context.Context, uuid, role string, validFrom time.Time) error
	// RevokeToken denylists jti until expiresAt; revoking twice is not an error.
	// Expired rows are pruned on the way.
	RevokeToken(ctx context.Context, jti, userUUID string, expiresAt time.Time) error
	IsTokenRevoked(ctx context.Context, jti string) (bool, error)
}

// FleetRepository stores the decoy fleet: one row per decky per host.
type FleetRepository interface {
	// CreateDeckies inserts deckies in one transaction; a name or address
	// already used on that host is ErrConflict naming it, and nothing is
	// inserted. An empty state means pending.
	CreateDeckies(ctx context.Context, ds []model.Decky) error
	// UpdateDecky replaces a decky's persona, services and config (not
	// created_at, nor the state and last error SetDeckyState owns). An
	// unknown decky is ErrNotFound; an address already used on that host is
	// ErrConflict.
	UpdateDecky(ctx context.Context, d model.Decky) error
	// SetDeckyState records state and last error (and updated_at/last_seen).
	// A state other than the model.Decky* constants is an error; an unknown
	// decky is ErrNotFound.
	SetDeckyState(ctx context.Context, hostUUID, name, state, lastErr string) error
	// GetDecky returns one decky, or ErrNotFound.
	GetDecky(ctx context.Context, hostUUID, name string) (model.Decky, error)
	// ListDeckies returns a host's deckies ordered by name; hostUUID "" lists
	// every host's.
	ListDeckies(ctx context.Context, hostUUID string) ([]model.Decky, error)
	// DeleteDecky removes one decky, or returns ErrNotFound.
	DeleteDecky(ctx context.Context, hostUUID, name string) error
}

// ReuseQuery selects credential_reuse rows, widest reuse first, then most
// recently seen.
type ReuseQuery struct {
	Limit, Offset int
	// MinTargetCount keeps rows with at least this many targets (0: all).
	MinTargetCount int
	SecretKind     string
}

// ReuseUpsert reports what UpsertReuse did.
type ReuseUpsert struct {
	// ID is the stored row's id: the caller's for a new row, the existing
	// one's otherwise.
	ID string
	// Created is true when no row had the group key.
	Created bool
	// Grown is true when an existing row gained a target it did not list.
	Grown bool
	// Changed is true when anything stored changed (always with Created or
	// Grown).
	Changed bool
}

// CredentialReuseRepository finds and stores credential reuse: one secret
// (secret_sha256, secret_kind, principal_key) used on several distinct
// decky:service targets.
type CredentialReuseRepository interface {
	// FindReuse computes, from the credentials table, every group with at
	// least minTargets distinct targets. A non-zero since restricts it to
	// groups with a credential last seen at or after since; the groups
	// returned are still complete. Lists are sorted; AttackerUUIDs holds the
	// uuids credentials carry; ID, Confidence and UpdatedAt are unset.
	FindReuse(ctx context.Context, minTargets int, since time.Time) ([]model.CredentialReuse, error)
	// UpsertReuse stores r under its group key. Counts, lists and the seen
	// window are replaced by r's, never added to, so recomputing a group
	// any number of times stores its true totals. An empty r.ID gets a
	// fresh uuid on insert.
	UpsertReuse(ctx context.Context, r model.CredentialReuse) (ReuseUpsert, error)
	// ListReuse returns rows matching q and the number matching without
	// paging.
	ListReuse(ctx context.Context, q ReuseQuery) ([]model.CredentialReuse, int64, error)
	// GetReuse returns one row, or ErrNotFound.
	GetReuse(ctx context.Context, id string) (model.CredentialReuse, error)
}

// WebhookRepository stores outbound webhook subscriptions and their
// delivery bookkeeping.
type WebhookRepository interface {
	// CreateWebhook inserts w (an empty UUID gets a fresh one) stamped with
	// the store's clock and returns the stored row; a taken name is
	// ErrConflict.
	CreateWebhook(ctx context.Context, w model.WebhookSubscription) (model.WebhookSubscription, error)
	// GetWebhook returns one subscription, or ErrNotFound.
	GetWebhook(ctx context.Context, uuid string) (model.WebhookSubscription, error)
	// ListWebhooks returns subscriptions ordered by name; enabledOnly keeps
	// the enabled ones.
	ListWebhooks(ctx context.Context, enabledOnly bool) ([]model.WebhookSubscription, error)
	// UpdateWebhook replaces name, url, secret, topics and enabled of
	// w.UUID and returns the stored row. Re-enabling a disabled
	// subscription clears its failure count, last error and
	// auto_disabled_at. Unknown is ErrNotFound; a taken name ErrConflict.
	UpdateWebhook(ctx context.Context, w model.WebhookSubscription) (model.WebhookSubscription, error)
	// DeleteWebhook removes one subscription, or returns ErrNotFound.
	DeleteWebhook(ctx context.Context, uuid string) error
	// RecordWebhookResult books one event's outcome: a success zeroes the
	// failure count, stamps last_success_at and clears last_error; a
	// failure adds one, stamps last_failure_at and stores errMsg (cut to
	// 1000 bytes). It returns the new failure count, or ErrNotFound.
	RecordWebhookResult(ctx context.Context, uuid string, success bool, errMsg string) (int, error)
	// DisableWebhook sets enabled=false; auto (the circuit breaker) also
	// stamps auto_disabled_at. Unknown is ErrNotFound.
	DisableWebhook(ctx context.Context, uuid string, auto bool) error
}
