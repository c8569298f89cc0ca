package sqlstore

import (
	"errors"
	"strings"
	"testing"

	"github.com/decnet/decnet/internal/store"
)

func TestStateGetMissingSetAndReplace(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		if _, err := s.GetState(t.Context(), "ingest_worker_position"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetState(missing) error = %v; want ErrNotFound", err)
		}
		for _, v := range []string{`{"position":10}`, `{"position":20}`} {
			if err := s.SetState(t.Context(), "ingest_worker_position", []byte(v)); err != nil {
				t.Fatal(err)
			}
			got, err := s.GetState(t.Context(), "ingest_worker_position")
			if err != nil || string(got) != v {
				t.Errorf("GetState = %s, %v; want %s", got, err, v)
			}
		}
		if err := s.SetState(t.Context(), strings.Repeat("k", 256), []byte(`1`)); err == nil {
			t.Error("SetState accepted a 256-byte key")
		}
	})
}
