package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/decnet/decnet/internal/config"
	"github.com/decnet/decnet/internal/store/sqlstore"
)

// jwtSecretFile is where a generated signing key is kept between restarts so
// tokens survive them.
const jwtSecretFile = "jwt_secret"

// ensureDataDir creates the data dir and proves it is writable, so a bad path
// fails at start with one line rather than later inside a worker.
func ensureDataDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("data dir %s cannot be created: %v; set DECNET_DATA_DIR to a writable directory", dir, rootCause(err))
	}
	f, err := os.CreateTemp(dir, ".write-test-*")
	if err != nil {
		return fmt.Errorf("data dir %s is not writable: %v; set DECNET_DATA_DIR to a writable directory", dir, rootCause(err))
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

func busDir(dataDir string) string { return filepath.Join(dataDir, "nats") }

// jwtSecret returns DECNET_JWT_SECRET, or the key stored in the data dir,
// generating and storing one (mode 0600) on first start.
func jwtSecret(cfg config.Config) ([]byte, error) {
	if cfg.JWTSecret != "" {
		return []byte(cfg.JWTSecret), nil
	}
	path := filepath.Join(cfg.DataDir, jwtSecretFile)
	b, err := os.ReadFile(path)
	if err == nil {
		s := strings.TrimSpace(string(b))
		if len(s) < 32 {
			return nil, fmt.Errorf("stored JWT secret %s is shorter than 32 characters; delete it to generate a new one or set DECNET_JWT_SECRET", path)
		}
		return []byte(s), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read JWT secret %s: %v", path, rootCause(err))
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("generate JWT secret: %v", err)
	}
	s := base64.RawURLEncoding.EncodeToString(raw)
	if err := os.WriteFile(path, []byte(s+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("store JWT secret %s: %v; set DECNET_DATA_DIR to a writable directory or DECNET_JWT_SECRET", path, rootCause(err))
	}
	return []byte(s), nil
}

func openStore(ctx context.Context, cfg config.Config, log *slog.Logger) (*sqlstore.Store, error) {
	dsn := cfg.DB.Path
	if cfg.DB.Type == "mysql" {
		dsn = cfg.DB.DSN
	}
	return sqlstore.Open(ctx, sqlstore.Options{Dialect: cfg.DB.Type, DSN: dsn, Logger: log.With("part", "store")})
}

// listenError turns a bind failure into one actionable line.
func listenError(what, addr, knob string, err error) error {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Errorf("%s: %s is already in use; stop the other process or set %s to a free address", what, addr, knob)
	case errors.Is(err, syscall.EACCES):
		return fmt.Errorf("%s: binding %s needs privileges (CAP_NET_BIND_SERVICE for ports below 1024); choose a port above 1023 with %s", what, addr, knob)
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return fmt.Errorf("%s: %s is not an address of this host; set %s", what, addr, knob)
	}
	return fmt.Errorf("%s: cannot listen on %s: %v; set %s", what, addr, rootCause(err), knob)
}

// rootCause strips Go's operation wrappers so messages stay one short line.
func rootCause(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}
