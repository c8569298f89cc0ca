package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

// Sizes of attacker enrichment columns, from the original schema.
const (
	maxCountryCode = 2
	maxASName      = 128
	maxSource      = 16
	maxBGPPrefix   = 43
	maxOSGuess     = 255
	maxBehavior    = 32
)

const attackerColumns = "uuid, ip, identity_id, first_seen, last_seen, event_count, service_count, decky_count, " +
	"services, deckies, traversal_path, is_traversal, bounty_count, credential_count, fingerprints, commands, " +
	"country_code, country_source, asn, as_name, bgp_prefix, asn_source, updated_at"

// attackerUpsertSQL inserts a row with a fresh uuid or, when the ip exists,
// overwrites the profiler-owned columns and keeps the uuid. identity_id
// belongs to the identity clusterer and is only set on insert; columns no
// model field carries (rotation, IPv6 leak, RPKI, PTR) belong to other
// writers and are left alone.
func attackerUpsertSQL(d dialect) string {
	set := ""
	for i, c := range []string{"first_seen", "last_seen", "event_count", "service_count",
		"decky_count", "services", "deckies", "traversal_path", "is_traversal", "bounty_count",
		"credential_count", "fingerprints", "commands", "country_code", "country_source", "asn", "as_name",
		"bgp_prefix", "asn_source", "updated_at"} {
		if i > 0 {
			set += ", "
		}
		set += c + " = " + d.excluded(c)
	}
	return "INSERT INTO attackers (" + attackerColumns + ") VALUES " +
		"(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)" + d.onConflictUpdate("ip") + set
}

// UpsertAttacker inserts or replaces the row for a.IP and returns the stored
// row. A new row gets a fresh uuid and an existing one keeps its own;
// a.UUID is ignored. Zero seen times default to UpdatedAt, itself defaulting
// to now.
func (s *Store) UpsertAttacker(ctx context.Context, a model.Attacker) (out model.Attacker, err error) {
	defer wrap(&err, "UpsertAttacker(%q)", a.IP)
	args, err := s.attackerArgs(uuid.NewString(), a)
	if err != nil {
		return out, err
	}
	unlock := s.lockWrites()
	_, err = s.db.ExecContext(ctx, s.q.attackerUpsert, args...)
	unlock()
	if err != nil {
		return out, err
	}
	return s.getAttacker(ctx, "ip", a.IP)
}

// attackerArgs validates a and returns the arguments of attackerUpsert
// with id as the uuid of a new row.
func (s *Store) attackerArgs(id string, a model.Attacker) ([]any, error) {
	if a.IP == "" {
		return nil, errors.New("empty ip")
	}
	if len(a.IP) > maxIP {
		return nil, fmt.Errorf("ip longer than %d bytes", maxIP)
	}
	if a.UpdatedAt.IsZero() {
		a.UpdatedAt = s.now()
	}
	if a.FirstSeen.IsZero() {
		a.FirstSeen = a.UpdatedAt
	}
	if a.LastSeen.IsZero() {
		a.LastSeen = a.UpdatedAt
	}
	var lists [4]string
	for i, v := range []any{nonNil(a.Services), nonNil(a.Deckies), nonNil(a.Fingerprints), nonNil(a.Commands)} {
		var err error
		if lists[i], err = jsonArg(v); err != nil {
			return nil, err
		}
	}
	var asn any
	if a.ASN != 0 {
		asn = a.ASN
	}
	return []any{id, a.IP, nullString(clip(a.IdentityID, maxUUID)), s.d.timeArg(a.FirstSeen),
		s.d.timeArg(a.LastSeen), a.EventCount, a.ServiceCount, a.DeckyCount, lists[0], lists[1],
		nullString(a.TraversalPath), a.IsTraversal, a.BountyCount, a.CredentialCount, lists[2], lists[3],
		nullString(clip(a.CountryCode, maxCountryCode)), nullString(clip(a.CountrySource, maxSource)), asn,
		nullString(clip(a.ASName, maxASName)), nullString(clip(a.BGPPrefix, maxBGPPrefix)),
		nullString(clip(a.ASNSource, maxSource)), s.d.timeArg(a.UpdatedAt)}, nil
}

// nonNil makes a nil slice encode as [] rather than null.
func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

// GetAttackerByUUID returns the attacker row with that uuid, or
// store.ErrNotFound.
func (s *Store) GetAttackerByUUID(ctx context.Context, id string) (a model.Attacker, err error) {
	defer wrap(&err, "GetAttackerByUUID(%q)", id)
	return s.getAttacker(ctx, "uuid", id)
}

// getAttacker reads one row by a unique column, named by the callers'
// constants.
func (s *Store) getAttacker(ctx context.Context, col, val string) (model.Attacker, error) {
	a, err := scanAttacker(s.db.QueryRowContext(ctx, "SELECT "+attackerColumns+" FROM attackers WHERE "+col+" = ?", val))
	if errors.Is(err, sql.ErrNoRows) {
		return a, store.ErrNotFound
	}
	return a, err
}

// rowScanner is *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

// scanAttacker reads one row selected as attackerColumns.
func scanAttacker(r rowScanner) (a model.Attacker, err error) {
	var identity, path, country, countrySrc, asName, prefix, asnSrc sql.NullString
	var asn sql.NullInt64
	err = r.Scan(&a.UUID, &a.IP, &identity, (*dbTime)(&a.FirstSeen), (*dbTime)(&a.LastSeen), &a.EventCount,
		&a.ServiceCount, &a.DeckyCount, jsonText{&a.Services}, jsonText{&a.Deckies}, &path, &a.IsTraversal,
		&a.BountyCount, &a.CredentialCount, jsonText{&a.Fingerprints}, jsonText{&a.Commands}, &country,
		&countrySrc, &asn, &asName, &prefix, &asnSrc, (*dbTime)(&a.UpdatedAt))
	if err != nil {
		return a, err
	}
	a.IdentityID, a.TraversalPath, a.CountryCode, a.ASName = identity.String, path.String, country.String, asName.String
	a.CountrySource, a.BGPPrefix, a.ASNSource = countrySrc.String, prefix.String, asnSrc.String
	a.ASN = asn.Int64
	return a, nil
}

// GetAttackerUUIDByIP returns the uuid of the row for ip, or
// store.ErrNotFound.
func (s *Store) GetAttackerUUIDByIP(ctx context.Context, ip string) (id string, err error) {
	defer wrap(&err, "GetAttackerUUIDByIP(%q)", ip)
	err = s.db.QueryRowContext(ctx, "SELECT uuid FROM attackers WHERE ip = ?", ip).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", store.ErrNotFound
	}
	return id, err
}

const behaviorColumns = "attacker_uuid, os_guess, hop_distance, tcp_fingerprint, kex_order_raw, ssh_client_banners, " +
	"interacted_services, scanned_services, retransmit_count, " +
	"behavior_class, beacon_interval_s, beacon_jitter_pct, tool_guesses, timing_stats, phase_sequence, updated_at"

func behaviorUpsertSQL(d dialect) string {
	set := ""
	for i, c := range []string{"os_guess", "hop_distance", "tcp_fingerprint", "kex_order_raw", "ssh_client_banners",
		"interacted_services", "scanned_services", "retransmit_count",
		"behavior_class", "beacon_interval_s", "beacon_jitter_pct", "tool_guesses", "timing_stats",
		"phase_sequence", "updated_at"} {
		if i > 0 {
			set += ", "
		}
		set += c + " = " + d.excluded(c)
	}
	return "INSERT INTO attacker_behavior (" + behaviorColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)" +
		d.onConflictUpdate("attacker_uuid") + set
}

// UpsertAttackerBehavior inserts or replaces the behaviour row of
// b.AttackerUUID. An unknown attacker is store.ErrNotFound. Empty JSON
// documents are stored as {} and nil lists as [].
func (s *Store) UpsertAttackerBehavior(ctx context.Context, b model.AttackerBehavior) (err error) {
	defer wrap(&err, "UpsertAttackerBehavior(%q)", b.AttackerUUID)
	args, err := s.behaviorArgs(b)
	if err != nil {
		return err
	}
	defer s.lockWrites()()
	_, err = s.db.ExecContext(ctx, s.q.behaviorUpsert, args...)
	if s.d.isForeignKeyViolation(err) {
		return fmt.Errorf("no attacker with that uuid: %w", store.ErrNotFound)
	}
	return err
}

// behaviorArgs returns the arguments of behaviorUpsert for b.
func (s *Store) behaviorArgs(b model.AttackerBehavior) ([]any, error) {
	var docs [3]string
	for i, raw := range [][]byte{b.TCPFingerprint, b.TimingStats, b.PhaseSequence} {
		var err error
		if docs[i], err = rawJSONArg(raw, "{}"); err != nil {
			return nil, err
		}
	}
	var lists [5]string
	for i, v := range [][]string{b.ToolGuesses, b.KexOrderRaw, b.SSHClientBanners, b.InteractedServices, b.ScannedServices} {
		var err error
		if lists[i], err = jsonArg(nonNil(v)); err != nil {
			return nil, err
		}
	}
	if b.UpdatedAt.IsZero() {
		b.UpdatedAt = s.now()
	}
	return []any{b.AttackerUUID, nullString(clip(b.OSGuess, maxOSGuess)), b.HopDistance, docs[0], lists[1], lists[2],
		lists[3], lists[4], b.RetransmitCount, nullString(clip(b.BehaviorClass, maxBehavior)), b.BeaconIntervalS, b.BeaconJitterPct,
		lists[0], docs[1], docs[2], s.d.timeArg(b.UpdatedAt)}, nil
}

// GetAttackerBehavior returns the behaviour row of an attacker, or
// store.ErrNotFound.
func (s *Store) GetAttackerBehavior(ctx context.Context, attackerUUID string) (b model.AttackerBehavior, err error) {
	defer wrap(&err, "GetAttackerBehavior(%q)", attackerUUID)
	b, err = scanBehavior(s.db.QueryRowContext(ctx, "SELECT "+behaviorColumns+
		" FROM attacker_behavior WHERE attacker_uuid = ?", attackerUUID))
	if errors.Is(err, sql.ErrNoRows) {
		return b, store.ErrNotFound
	}
	return b, err
}
