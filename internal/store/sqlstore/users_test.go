package sqlstore

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

func TestUsersCreateGetListAndUpdate(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		admin := model.User{UUID: "00000000-0000-0000-0000-00000000000a", Username: "admin", PasswordHash: "$2a$12$a",
			Role: model.RoleAdmin, MustChangePassword: true}
		viewer := model.User{UUID: "00000000-0000-0000-0000-00000000000b", Username: "Admin", PasswordHash: "$2a$12$b"}
		for _, u := range []model.User{viewer, admin} {
			if err := s.CreateUser(t.Context(), u); err != nil {
				t.Fatal(err)
			}
		}
		viewer.Role = model.RoleViewer // the default

		got, err := s.GetUserByUsername(t.Context(), "admin")
		if err != nil || !cmp.Equal(admin, got) {
			t.Errorf("GetUserByUsername = %+v, %v; want %+v", got, err, admin)
		}
		got, err = s.GetUserByUUID(t.Context(), viewer.UUID)
		if err != nil || !cmp.Equal(viewer, got) {
			t.Errorf("GetUserByUUID = %+v, %v; want %+v", got, err, viewer)
		}
		list, err := s.ListUsers(t.Context())
		if diff := cmp.Diff([]model.User{viewer, admin}, list); err != nil || diff != "" {
			t.Errorf("ListUsers error %v, (-want +got):\n%s", err, diff)
		}

		cutoff := t0.Add(time.Hour)
		if err := s.UpdateUserPassword(t.Context(), admin.UUID, "$2a$12$new", false, cutoff); err != nil {
			t.Fatal(err)
		}
		// The same update again changes no value and must still find the row.
		if err := s.UpdateUserPassword(t.Context(), admin.UUID, "$2a$12$new", false, cutoff); err != nil {
			t.Errorf("repeating an update: %v", err)
		}
		got, err = s.GetUserByUUID(t.Context(), admin.UUID)
		want := admin
		want.PasswordHash, want.MustChangePassword, want.TokensValidFrom = "$2a$12$new", false, cutoff.Truncate(time.Microsecond)
		if err != nil || !cmp.Equal(want, got) {
			t.Errorf("after UpdateUserPassword = %+v, %v; want %+v", got, err, want)
		}
	})
}

func TestUsersConflictsAndMissesAreSentinels(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		u := model.User{UUID: "00000000-0000-0000-0000-000000000001", Username: "ops", PasswordHash: "h"}
		if err := s.CreateUser(t.Context(), u); err != nil {
			t.Fatal(err)
		}
		sameName := model.User{UUID: "00000000-0000-0000-0000-000000000002", Username: "ops", PasswordHash: "h"}
		sameUUID := model.User{UUID: u.UUID, Username: "ops2", PasswordHash: "h"}
		for _, dup := range []model.User{sameName, sameUUID} {
			if err := s.CreateUser(t.Context(), dup); !errors.Is(err, store.ErrConflict) {
				t.Errorf("CreateUser(%+v) error = %v; want ErrConflict", dup, err)
			}
		}
		_, err := s.GetUserByUUID(t.Context(), "missing")
		if !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), `sqlstore: GetUserByUUID("missing")`) {
			t.Errorf("GetUserByUUID(missing) error = %v; want ErrNotFound naming the call", err)
		}
		if _, err := s.GetUserByUsername(t.Context(), "missing"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetUserByUsername(missing) error = %v; want ErrNotFound", err)
		}
		if err := s.UpdateUserPassword(t.Context(), "missing", "h", false, t0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UpdateUserPassword(missing) error = %v; want ErrNotFound", err)
		}
		if err := s.CreateUser(t.Context(), model.User{UUID: "x", Username: strings.Repeat("n", 300), PasswordHash: "h"}); err == nil {
			t.Error("CreateUser accepted a 300-byte username")
		}
	})
}

func TestRevokeTokenIsIdempotentAndPrunesExpiredEntries(t *testing.T) {
	clk := &clock{t: t0}
	eachDialectWith(t, Options{Now: clk.Now}, func(t *testing.T, s *Store) {
		clk.Set(t0)
		revoked := func(jti string) bool {
			t.Helper()
			ok, err := s.IsTokenRevoked(t.Context(), jti)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if revoked("a") {
			t.Fatal("IsTokenRevoked(a) before any revocation = true")
		}
		for range 2 {
			if err := s.RevokeToken(t.Context(), "a", "user-1", t0.Add(time.Hour)); err != nil {
				t.Fatalf("RevokeToken(a): %v", err)
			}
		}
		if err := s.RevokeToken(t.Context(), "b", "user-1", t0.Add(3*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if !revoked("a") || !revoked("b") {
			t.Fatal("revoked tokens are not reported revoked")
		}
		// Two hours on, a's token has expired and the next revocation
		// prunes its entry; b's is still needed.
		clk.Set(t0.Add(2 * time.Hour))
		if err := s.RevokeToken(t.Context(), "c", "user-2", t0.Add(4*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if got := []bool{revoked("a"), revoked("b"), revoked("c")}; !cmp.Equal(got, []bool{false, true, true}) {
			t.Errorf("revoked [a b c] = %v; want [false true true]", got)
		}
	})
}

func TestUsersRoleChangeAndDeletion(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		u := model.User{UUID: "00000000-0000-0000-0000-0000000000c1", Username: "analyst-c1", PasswordHash: "$2a$12$c"}
		if err := s.CreateUser(t.Context(), u); err != nil {
			t.Fatal(err)
		}
		cutoff := t0.Add(2 * time.Hour)
		if err := s.SetUserRole(t.Context(), u.UUID, model.RoleAdmin, cutoff); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetUserByUUID(t.Context(), u.UUID)
		if err != nil || got.Role != model.RoleAdmin || !got.TokensValidFrom.Equal(cutoff.Truncate(time.Microsecond)) {
			t.Errorf("after SetUserRole: %+v, %v", got, err)
		}
		if err := s.SetUserRole(t.Context(), u.UUID, "root", cutoff); err == nil {
			t.Error("an unknown role was stored")
		}
		if err := s.SetUserRole(t.Context(), "no-such-user", model.RoleViewer, cutoff); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("role of an unknown user: %v", err)
		}
		if err := s.DeleteUser(t.Context(), u.UUID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetUserByUUID(t.Context(), u.UUID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleted user still read: %v", err)
		}
		if err := s.DeleteUser(t.Context(), u.UUID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second delete: %v", err)
		}
	})
}
