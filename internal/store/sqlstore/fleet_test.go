package sqlstore

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

// fleet_deckies joins the harness's table lists: the migration test expects
// every table, and the shared MySQL database is emptied between tests.
func sampleDecky(host, name, ip string) model.Decky {
	return model.Decky{
		Name: name, HostUUID: host, Hostname: "srv-" + name, Distro: "debian", NmapOS: "linux", Seed: 42, IP: ip,
		NetMode: model.NetLoopback, Services: []string{"ssh", "http"},
	}
}

// created is d as CreateDeckies stores it at now: pending unless set,
// stamped by the store's clock, times at microseconds, services non-nil.
func created(d model.Decky, now time.Time) model.Decky {
	if d.State == "" {
		d.State = model.DeckyPending
	}
	if d.Services == nil {
		d.Services = []string{}
	}
	d.LastMutated = d.LastMutated.Truncate(time.Microsecond)
	d.CreatedAt, d.UpdatedAt = now.Truncate(time.Microsecond), now.Truncate(time.Microsecond)
	return d
}

func mustGetDecky(t *testing.T, s *Store, host, name string) model.Decky {
	t.Helper()
	d, err := s.GetDecky(t.Context(), host, name)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestFleetRoundTripsEveryField(t *testing.T) {
	clk := &clock{}
	eachDialectWith(t, Options{Now: clk.Now}, func(t *testing.T, s *Store) {
		clk.Set(t0)
		full := model.Decky{
			Name: "decky-01", HostUUID: "6f1c1f0e-9a4b-4c1d-8e2f-0123456789ab", Hostname: "ξενία-fs01",
			Distro: "ubuntu22", Archetype: "windows-workstation", NmapOS: "windows", Seed: 1<<63 + 12345,
			IP: "192.168.1.110", NetMode: model.NetMacvlan, Interface: "eth0", Services: []string{"smb", "rdp", "ssh"},
			ServiceConfig: map[string]map[string]string{
				"ssh": {"banner": "SSH-2.0-OpenSSH_9.6 ✓", "password": "pa'ss\"wörd"},
				"smb": {"workgroup": "КОРП"},
			},
			MutateInterval: 30, LastMutated: t0.Add(-time.Hour), State: model.DeckyDegraded, LastError: "smb: bind: 日本",
			// Ignored: the store stamps both.
			CreatedAt: t0.Add(-48 * time.Hour), UpdatedAt: t0.Add(-24 * time.Hour),
		}
		bare := model.Decky{Name: "decky-02", HostUUID: model.LocalHost, IP: "127.0.0.2", Seed: 1<<64 - 1,
			ServiceConfig: map[string]map[string]string{}}
		nilConfig := sampleDecky(model.LocalHost, "decky-03", "127.0.0.3")
		if err := s.CreateDeckies(t.Context(), []model.Decky{full, bare, nilConfig}); err != nil {
			t.Fatal(err)
		}

		if diff := cmp.Diff(created(full, t0), mustGetDecky(t, s, full.HostUUID, full.Name)); diff != "" {
			t.Errorf("full decky mismatch (-want +got):\n%s", diff)
		}
		// An empty config stays empty and a nil one nil; nil services read
		// back as an empty list.
		got := mustGetDecky(t, s, model.LocalHost, "decky-02")
		if diff := cmp.Diff(created(bare, t0), got); diff != "" {
			t.Errorf("bare decky mismatch (-want +got):\n%s", diff)
		}
		if got.ServiceConfig == nil || got.Services == nil {
			t.Errorf("bare decky config %#v, services %#v; want both empty, non-nil", got.ServiceConfig, got.Services)
		}
		got = mustGetDecky(t, s, model.LocalHost, "decky-03")
		if diff := cmp.Diff(created(nilConfig, t0), got); diff != "" || got.ServiceConfig != nil {
			t.Errorf("decky without config mismatch, config %#v (-want +got):\n%s", got.ServiceConfig, diff)
		}

		// Seeds are stored as decimal text, so values past int64 survive
		// on both engines and read the same in either shell.
		var seed string
		if err := s.DB().QueryRowContext(t.Context(), "SELECT seed FROM fleet_deckies WHERE name = ?",
			"decky-02").Scan(&seed); err != nil || seed != "18446744073709551615" {
			t.Errorf("stored seed = %q, %v; want 18446744073709551615", seed, err)
		}
	})
}

func TestFleetCreateConflictRollsBackTheWholeBatch(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		a := sampleDecky(model.LocalHost, "a", "10.0.0.1")
		if err := s.CreateDeckies(ctx, []model.Decky{a}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name  string
			batch []model.Decky
			// mention is what the error must name.
			mention string
		}{
			{"stored name", []model.Decky{sampleDecky(model.LocalHost, "b", "10.0.0.2"),
				sampleDecky(model.LocalHost, "a", "10.0.0.3")}, `decky "a" already exists on host "local"`},
			{"stored address", []model.Decky{sampleDecky(model.LocalHost, "b", "10.0.0.2"),
				sampleDecky(model.LocalHost, "c", "10.0.0.1")}, `address 10.0.0.1 of decky "c" is already used by decky "a"`},
			{"name twice in the batch", []model.Decky{sampleDecky(model.LocalHost, "b", "10.0.0.2"),
				sampleDecky(model.LocalHost, "b", "10.0.0.3")}, `decky "b" already exists`},
			{"address twice in the batch", []model.Decky{sampleDecky(model.LocalHost, "b", "10.0.0.2"),
				sampleDecky(model.LocalHost, "c", "10.0.0.2")}, `address 10.0.0.2 of decky "c" is already used by decky "b"`},
		} {
			err := s.CreateDeckies(ctx, tc.batch)
			if !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("%s: CreateDeckies error = %v; want ErrConflict naming %s", tc.name, err, tc.mention)
			}
			list, err := s.ListDeckies(ctx, "")
			if err != nil || len(list) != 1 || list[0].Name != "a" || list[0].IP != "10.0.0.1" {
				t.Errorf("%s: after the failed batch ListDeckies = %+v, %v; want only a", tc.name, list, err)
			}
		}

		// Names and addresses are per host: another host may reuse both.
		if err := s.CreateDeckies(ctx, []model.Decky{sampleDecky("worker-1", "a", "10.0.0.1")}); err != nil {
			t.Errorf("same name and address on another host: %v", err)
		}
	})
}

func TestFleetCreateRejectsInvalidDeckiesBeforeWriting(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		ok := sampleDecky(model.LocalHost, "ok", "10.0.0.1")
		withState := sampleDecky(model.LocalHost, "s", "10.0.0.2")
		withState.State = "exploded"
		negative := sampleDecky(model.LocalHost, "n", "10.0.0.2")
		negative.MutateInterval = model.MutateIntervalGlobal - 1
		for _, bad := range []model.Decky{
			sampleDecky(model.LocalHost, "", "10.0.0.2"),
			sampleDecky(model.LocalHost, strings.Repeat("n", maxDecky+1), "10.0.0.2"),
			sampleDecky("", "nohost", "10.0.0.2"),
			sampleDecky(model.LocalHost, "noip", ""),
			withState, negative,
		} {
			err := s.CreateDeckies(t.Context(), []model.Decky{ok, bad})
			if err == nil || errors.Is(err, store.ErrConflict) {
				t.Errorf("CreateDeckies(%q, host %q, ip %q, state %q) error = %v; want a validation error",
					bad.Name, bad.HostUUID, bad.IP, bad.State, err)
			}
		}
		if list, err := s.ListDeckies(t.Context(), ""); err != nil || len(list) != 0 {
			t.Errorf("ListDeckies = %+v, %v; want nothing stored", list, err)
		}
		if err := s.CreateDeckies(t.Context(), nil); err != nil {
			t.Errorf("CreateDeckies(nil) = %v; want nil", err)
		}
	})
}

func TestFleetUpdateReplacesPersonaAndKeepsStateAndCreatedAt(t *testing.T) {
	clk := &clock{}
	eachDialectWith(t, Options{Now: clk.Now}, func(t *testing.T, s *Store) {
		ctx := t.Context()
		clk.Set(t0)
		a, b := sampleDecky(model.LocalHost, "a", "10.0.0.1"), sampleDecky(model.LocalHost, "b", "10.0.0.2")
		if err := s.CreateDeckies(ctx, []model.Decky{a, b}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetDeckyState(ctx, model.LocalHost, "a", model.DeckyFailed, "boom"); err != nil {
			t.Fatal(err)
		}

		later := t0.Add(time.Minute)
		clk.Set(later)
		upd := a
		upd.Hostname, upd.Distro, upd.Archetype, upd.NmapOS, upd.Seed = "mail", "alpine", "mail-server", "bsd", 7
		upd.IP, upd.NetMode, upd.Interface = "10.0.0.9", model.NetAlias, "eth1"
		upd.Services = []string{"smtp"}
		upd.ServiceConfig = map[string]map[string]string{"smtp": {"banner": "ESMTP"}}
		upd.MutateInterval, upd.LastMutated = 5, later
		// Ignored: owned by SetDeckyState and CreateDeckies.
		upd.State, upd.LastError, upd.CreatedAt = model.DeckyRunning, "", later
		if err := s.UpdateDecky(ctx, upd); err != nil {
			t.Fatal(err)
		}
		want := upd
		want.State, want.LastError = model.DeckyFailed, "boom"
		want.CreatedAt, want.UpdatedAt = t0.Truncate(time.Microsecond), later.Truncate(time.Microsecond)
		want.LastMutated = later.Truncate(time.Microsecond)
		if diff := cmp.Diff(want, mustGetDecky(t, s, model.LocalHost, "a")); diff != "" {
			t.Errorf("after UpdateDecky (-want +got):\n%s", diff)
		}
		// The same update again changes no value and must still find the row.
		if err := s.UpdateDecky(ctx, upd); err != nil {
			t.Errorf("repeating an update: %v", err)
		}

		// Clearing optional fields stores NULL again.
		upd.Archetype, upd.Interface, upd.ServiceConfig, upd.LastMutated = "", "", nil, time.Time{}
		if err := s.UpdateDecky(ctx, upd); err != nil {
			t.Fatal(err)
		}
		want.Archetype, want.Interface, want.ServiceConfig, want.LastMutated = "", "", nil, time.Time{}
		if diff := cmp.Diff(want, mustGetDecky(t, s, model.LocalHost, "a")); diff != "" {
			t.Errorf("after clearing optional fields (-want +got):\n%s", diff)
		}

		taken := upd
		taken.IP = b.IP
		if err := s.UpdateDecky(ctx, taken); !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), `decky "b"`) {
			t.Errorf("UpdateDecky onto b's address error = %v; want ErrConflict naming b", err)
		}
		if got := mustGetDecky(t, s, model.LocalHost, "a"); got.IP != upd.IP {
			t.Errorf("after the conflict a.IP = %q; want %q", got.IP, upd.IP)
		}
		missing := sampleDecky(model.LocalHost, "missing", "10.0.0.50")
		if err := s.UpdateDecky(ctx, missing); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UpdateDecky(missing) error = %v; want ErrNotFound", err)
		}
	})
}

func TestFleetSetDeckyStateRecordsStateErrorAndTimes(t *testing.T) {
	clk := &clock{}
	eachDialectWith(t, Options{Now: clk.Now}, func(t *testing.T, s *Store) {
		ctx := t.Context()
		clk.Set(t0)
		d := sampleDecky(model.LocalHost, "a", "10.0.0.1")
		if err := s.CreateDeckies(ctx, []model.Decky{d}); err != nil {
			t.Fatal(err)
		}
		lastSeen := func() time.Time {
			t.Helper()
			var ts time.Time
			if err := s.DB().QueryRowContext(ctx, "SELECT last_seen FROM fleet_deckies WHERE name = ?", "a").
				Scan((*dbTime)(&ts)); err != nil {
				t.Fatal(err)
			}
			return ts
		}
		if !lastSeen().IsZero() {
			t.Errorf("last_seen of a new decky = %v; want NULL", lastSeen())
		}

		later := t0.Add(time.Minute)
		clk.Set(later)
		long := strings.Repeat("é", maxLastError) // 2 bytes a rune
		if err := s.SetDeckyState(ctx, model.LocalHost, "a", model.DeckyDegraded, long); err != nil {
			t.Fatal(err)
		}
		got := mustGetDecky(t, s, model.LocalHost, "a")
		if got.State != model.DeckyDegraded || got.UpdatedAt != later.Truncate(time.Microsecond) ||
			got.CreatedAt != t0.Truncate(time.Microsecond) {
			t.Errorf("after SetDeckyState state %q, updated %v, created %v; want degraded, %v, %v",
				got.State, got.UpdatedAt, got.CreatedAt, later, t0)
		}
		if want := long[:maxLastError]; got.LastError != want || !utf8.ValidString(got.LastError) {
			t.Errorf("last_error is %d bytes (valid UTF-8 %v); want the first %d bytes",
				len(got.LastError), utf8.ValidString(got.LastError), maxLastError)
		}
		if ts := lastSeen(); ts != later.Truncate(time.Microsecond) {
			t.Errorf("last_seen = %v; want %v", ts, later)
		}
		for _, st := range []string{model.DeckyPending, model.DeckyRunning, model.DeckyFailed, model.DeckyTornDown} {
			if err := s.SetDeckyState(ctx, model.LocalHost, "a", st, ""); err != nil {
				t.Errorf("SetDeckyState(%q): %v", st, err)
			}
		}
		if got := mustGetDecky(t, s, model.LocalHost, "a"); got.State != model.DeckyTornDown || got.LastError != "" {
			t.Errorf("state %q, last error %q; want torn_down and cleared", got.State, got.LastError)
		}

		err := s.SetDeckyState(ctx, model.LocalHost, "a", "exploded", "")
		if err == nil || errors.Is(err, store.ErrNotFound) ||
			!strings.Contains(err.Error(), "pending, running, degraded, failed or torn_down") {
			t.Errorf("SetDeckyState(exploded) error = %v; want one naming the valid states", err)
		}
		// The column's CHECK holds even for writers that skip the store.
		if _, err := s.DB().ExecContext(ctx, "UPDATE fleet_deckies SET state = 'exploded' WHERE name = 'a'"); err == nil {
			t.Error("the state CHECK accepted 'exploded'")
		}
		if got := mustGetDecky(t, s, model.LocalHost, "a"); got.State != model.DeckyTornDown {
			t.Errorf("after rejected states, state = %q; want torn_down", got.State)
		}
		if err := s.SetDeckyState(ctx, model.LocalHost, "missing", model.DeckyRunning, ""); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SetDeckyState(missing) error = %v; want ErrNotFound", err)
		}
	})
}

func TestFleetListOrdersByNameWithinAndAcrossHosts(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		batch := []model.Decky{
			sampleDecky(model.LocalHost, "decky-10", "10.0.0.10"),
			sampleDecky("worker-1", "decky-02", "10.0.0.2"),
			sampleDecky(model.LocalHost, "decky-02", "10.0.0.2"),
			sampleDecky(model.LocalHost, "Decky-99", "10.0.0.99"),
			sampleDecky("worker-1", "alpha", "10.0.0.1"),
		}
		if err := s.CreateDeckies(ctx, batch); err != nil {
			t.Fatal(err)
		}
		type key struct{ Host, Name string }
		keys := func(ds []model.Decky) []key {
			var out []key
			for _, d := range ds {
				out = append(out, key{d.HostUUID, d.Name})
			}
			return out
		}
		for _, tc := range []struct {
			host string
			want []key
		}{
			// Byte order on both engines: upper case sorts first.
			{model.LocalHost, []key{{"local", "Decky-99"}, {"local", "decky-02"}, {"local", "decky-10"}}},
			{"worker-1", []key{{"worker-1", "alpha"}, {"worker-1", "decky-02"}}},
			{"", []key{{"local", "Decky-99"}, {"worker-1", "alpha"}, {"local", "decky-02"}, {"worker-1", "decky-02"},
				{"local", "decky-10"}}},
			{"nobody", nil},
		} {
			got, err := s.ListDeckies(ctx, tc.host)
			if diff := cmp.Diff(tc.want, keys(got)); err != nil || diff != "" {
				t.Errorf("ListDeckies(%q) error %v, (-want +got):\n%s", tc.host, err, diff)
			}
		}
		// Listed rows are whole rows.
		got, err := s.ListDeckies(ctx, "worker-1")
		if err != nil || len(got) == 0 || !cmp.Equal(batch[4].Services, got[0].Services) || got[0].IP != "10.0.0.1" {
			t.Errorf("ListDeckies(worker-1)[0] = %+v, %v; want alpha's full row", got, err)
		}
	})
}

func TestFleetDeleteThenGetIsNotFound(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		if err := s.CreateDeckies(ctx, []model.Decky{sampleDecky(model.LocalHost, "a", "10.0.0.1"),
			sampleDecky("worker-1", "a", "10.0.0.1")}); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteDecky(ctx, model.LocalHost, "a"); err != nil {
			t.Fatal(err)
		}
		_, err := s.GetDecky(ctx, model.LocalHost, "a")
		if !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), `sqlstore: GetDecky("local", "a")`) {
			t.Errorf("GetDecky after delete error = %v; want ErrNotFound naming the call", err)
		}
		if err := s.DeleteDecky(ctx, model.LocalHost, "a"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleting twice error = %v; want ErrNotFound", err)
		}
		if _, err := s.GetDecky(ctx, "worker-1", "a"); err != nil {
			t.Errorf("the other host's decky a: %v", err)
		}
		// The freed name and address can be used again.
		if err := s.CreateDeckies(ctx, []model.Decky{sampleDecky(model.LocalHost, "a", "10.0.0.1")}); err != nil {
			t.Errorf("re-creating a deleted decky: %v", err)
		}
	})
}
