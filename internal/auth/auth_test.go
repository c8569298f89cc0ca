package auth

import (
	"context"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

// fakeClock is a manually advanced clock for the Now seams.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func testHasher(t *testing.T) *Hasher {
	t.Helper()
	h, err := NewHasher(bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// memUsers is an in-memory store.UserRepository for EnsureAdmin tests.
type memUsers struct {
	mu      sync.Mutex
	byUUID  map[string]model.User
	updates int
	// createErr, when set, is returned by CreateUser instead of inserting.
	createErr error
}

func newMemUsers() *memUsers { return &memUsers{byUUID: map[string]model.User{}} }

func (m *memUsers) GetUserByUsername(_ context.Context, name string) (model.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, u := range m.byUUID {
		if u.Username == name {
			return u, nil
		}
	}
	return model.User{}, store.ErrNotFound
}

func (m *memUsers) GetUserByUUID(_ context.Context, id string) (model.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.byUUID[id]
	if !ok {
		return model.User{}, store.ErrNotFound
	}
	return u, nil
}

func (m *memUsers) CreateUser(_ context.Context, u model.User) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.createErr != nil {
		return m.createErr
	}
	for _, o := range m.byUUID {
		if o.Username == u.Username {
			return store.ErrConflict
		}
	}
	m.byUUID[u.UUID] = u
	return nil
}

func (m *memUsers) UpdateUserPassword(_ context.Context, id, hash string, mustChange bool, validFrom time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.byUUID[id]
	if !ok {
		return store.ErrNotFound
	}
	u.PasswordHash, u.MustChangePassword, u.TokensValidFrom = hash, mustChange, validFrom
	m.byUUID[id] = u
	m.updates++
	return nil
}

func (m *memUsers) ListUsers(context.Context) ([]model.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []model.User
	for _, u := range m.byUUID {
		out = append(out, u)
	}
	return out, nil
}

func (m *memUsers) RevokeToken(context.Context, string, string, time.Time) error { return nil }

func (m *memUsers) IsTokenRevoked(context.Context, string) (bool, error) { return false, nil }

var _ store.UserRepository = (*memUsers)(nil)
