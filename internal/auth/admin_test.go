package auth

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

func TestEnsureAdminWithoutPasswordGeneratesOneAndForcesChange(t *testing.T) {
	users, h := newSQLUsers(t), testHasher(t)
	gen, err := EnsureAdmin(context.Background(), users, "admin", "", h)
	if err != nil {
		t.Fatal(err)
	}
	if len(gen) < 20 {
		t.Fatalf("generated password %q shorter than 20", gen)
	}
	u, err := users.GetUserByUsername(context.Background(), "admin")
	if err != nil {
		t.Fatal(err)
	}
	if u.Role != model.RoleAdmin || !u.MustChangePassword || u.UUID == "" {
		t.Errorf("created user = %+v, want admin role, must change, a uuid", u)
	}
	if !h.CheckPassword(u.PasswordHash, gen) {
		t.Error("stored hash does not match the returned password")
	}
}

func TestEnsureAdminWithPasswordUsesItWithoutForcedChange(t *testing.T) {
	users, h := newSQLUsers(t), testHasher(t)
	gen, err := EnsureAdmin(context.Background(), users, "root", "operator-chosen-pw", h)
	if err != nil {
		t.Fatal(err)
	}
	if gen != "" {
		t.Errorf("returned %q for a given password, want empty", gen)
	}
	u, _ := users.GetUserByUsername(context.Background(), "root")
	if u.Role != model.RoleAdmin || u.MustChangePassword {
		t.Errorf("created user = %+v, want admin without forced change", u)
	}
	if !h.CheckPassword(u.PasswordHash, "operator-chosen-pw") {
		t.Error("stored hash does not match the given password")
	}
}

func TestEnsureAdminLeavesAnExistingAccountAlone(t *testing.T) {
	users, h := newSQLUsers(t), testHasher(t)
	hash, _ := h.HashPassword("already-changed-pw")
	orig := model.User{UUID: "u1", Username: "admin", PasswordHash: hash, Role: model.RoleViewer}
	_ = users.CreateUser(context.Background(), orig)

	for _, pw := range []string{"", "a-different-env-pw"} {
		gen, err := EnsureAdmin(context.Background(), users, "admin", pw, h)
		if err != nil || gen != "" {
			t.Fatalf("EnsureAdmin(pw=%q) = %q, %v; want \"\", nil", pw, gen, err)
		}
	}
	got, _ := users.GetUserByUUID(context.Background(), "u1")
	if got != orig || users.updates != 0 {
		t.Errorf("existing user changed: %+v (updates %d), want %+v", got, users.updates, orig)
	}
}

func TestEnsureAdminResyncsHashWhileChangeIsStillPending(t *testing.T) {
	users, h := newSQLUsers(t), testHasher(t)
	hash, _ := h.HashPassword("lost-generated-password")
	_ = users.CreateUser(context.Background(), model.User{
		UUID: "u1", Username: "admin", PasswordHash: hash, Role: model.RoleAdmin, MustChangePassword: true,
	})
	if _, err := EnsureAdmin(context.Background(), users, "admin", "recovered-env-pw", h); err != nil {
		t.Fatal(err)
	}
	got, _ := users.GetUserByUUID(context.Background(), "u1")
	if !h.CheckPassword(got.PasswordHash, "recovered-env-pw") {
		t.Error("hash was not re-synced from the given password")
	}
	if !got.MustChangePassword || got.TokensValidFrom.IsZero() {
		t.Errorf("after re-sync: must change %v, valid from %v; want still forced, cutoff set",
			got.MustChangePassword, got.TokensValidFrom)
	}

	// Same password again: nothing to write.
	before := users.updates
	if _, err := EnsureAdmin(context.Background(), users, "admin", "recovered-env-pw", h); err != nil {
		t.Fatal(err)
	}
	if users.updates != before {
		t.Error("an unchanged password was written again")
	}
}

func TestEnsureAdminErrorNamesTheVariableWhenPasswordTooShort(t *testing.T) {
	_, err := EnsureAdmin(context.Background(), newSQLUsers(t), "admin", "short", testHasher(t))
	if err == nil || !strings.Contains(err.Error(), "DECNET_ADMIN_PASSWORD") || !errors.Is(err, ErrPasswordTooShort) {
		t.Fatalf("error = %v, want one naming DECNET_ADMIN_PASSWORD wrapping ErrPasswordTooShort", err)
	}
}

func TestEnsureAdminTreatsConcurrentCreationAsDone(t *testing.T) {
	users := newSQLUsers(t)
	users.createErr = store.ErrConflict
	gen, err := EnsureAdmin(context.Background(), users, "admin", "", testHasher(t))
	if err != nil || gen != "" {
		t.Fatalf("EnsureAdmin = %q, %v; want no password to print and no error", gen, err)
	}
}

func TestEnsureAdminPropagatesStoreFailures(t *testing.T) {
	users := newSQLUsers(t)
	users.createErr = errors.New("disk full")
	if _, err := EnsureAdmin(context.Background(), users, "admin", "", testHasher(t)); err == nil {
		t.Fatal("EnsureAdmin swallowed a store error")
	}
	if _, err := EnsureAdmin(context.Background(), users, "", "", testHasher(t)); err == nil {
		t.Fatal("EnsureAdmin accepted an empty username")
	}
}
