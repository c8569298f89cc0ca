package auth

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
	"github.com/decnet/decnet/internal/store/sqlstore"
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

// sqlUsers is the real SQLite user store with two seams for EnsureAdmin
// tests: it counts password writes and can fail CreateUser on demand.
type sqlUsers struct {
	*sqlstore.Store
	mu      sync.Mutex
	updates int
	// createErr, when set, is returned by CreateUser instead of inserting.
	createErr error
}

func newSQLUsers(t *testing.T) *sqlUsers {
	t.Helper()
	s, err := sqlstore.Open(context.Background(), sqlstore.Options{
		Dialect: sqlstore.DialectSQLite, DSN: filepath.Join(t.TempDir(), "decnet.db"),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return &sqlUsers{Store: s}
}

func (m *sqlUsers) CreateUser(ctx context.Context, u model.User) error {
	m.mu.Lock()
	err := m.createErr
	m.mu.Unlock()
	if err != nil {
		return err
	}
	return m.Store.CreateUser(ctx, u)
}

func (m *sqlUsers) UpdateUserPassword(ctx context.Context, id, hash string, mustChange bool, validFrom time.Time) error {
	m.mu.Lock()
	m.updates++
	m.mu.Unlock()
	return m.Store.UpdateUserPassword(ctx, id, hash, mustChange, validFrom)
}

var _ store.UserRepository = (*sqlUsers)(nil)
