// Package recent holds a bounded set of recently seen keys, for skipping
// work that repeats: a finding already stored, a notification already sent.
package recent

import "sync"

// Set remembers keys in two generations: when the newer one holds Size keys
// it becomes the older one and the previous older one is dropped. That keeps
// memory bounded (at most 2×Size keys) without per-key bookkeeping, at the
// cost of forgetting some keys early. A forgotten key only means the skipped
// work is done once more, so callers must treat "not contained" as "maybe
// new". Safe for concurrent use.
type Set struct {
	size      int
	mu        sync.Mutex
	cur, prev map[string]struct{}
}

// New returns a Set of at most 2×size keys.
func New(size int) *Set { return &Set{size: max(size, 1)} }

// Contains reports whether k was added and not yet forgotten. Looking up
// string(k) in a map does not allocate, so a hit costs no garbage.
func (s *Set) Contains(k []byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.cur[string(k)]; ok {
		return true
	}
	_, ok := s.prev[string(k)]
	return ok
}

// Add remembers k.
func (s *Set) Add(k []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.add(k)
}

// AddAll remembers every key produced by keys under one lock; keys calls add
// once per key.
func (s *Set) AddAll(keys func(add func(k []byte))) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys(s.add)
}

// ContainsOrAdd reports whether k was already present, adding it if not.
func (s *Set) ContainsOrAdd(k []byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.cur[string(k)]; ok {
		return true
	}
	if _, ok := s.prev[string(k)]; ok {
		return true
	}
	s.add(k)
	return false
}

// add requires s.mu held.
func (s *Set) add(k []byte) {
	if _, ok := s.cur[string(k)]; ok {
		return
	}
	if s.cur == nil || len(s.cur) >= s.size {
		s.prev, s.cur = s.cur, make(map[string]struct{}, min(s.size, 1024))
	}
	s.cur[string(k)] = struct{}{}
}
