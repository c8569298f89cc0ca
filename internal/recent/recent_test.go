package recent

import (
	"fmt"
	"testing"
)

func TestSetRemembersAddedKeys(t *testing.T) {
	s := New(4)
	if s.Contains([]byte("a")) {
		t.Fatal("empty set contains a key")
	}
	s.Add([]byte("a"))
	if !s.Contains([]byte("a")) || s.Contains([]byte("b")) {
		t.Fatal("Contains disagrees with Add")
	}
	if s.ContainsOrAdd([]byte("b")) || !s.ContainsOrAdd([]byte("b")) {
		t.Fatal("ContainsOrAdd must add once, then report present")
	}
}

func TestSetStaysBoundedAndKeepsTheNewestGeneration(t *testing.T) {
	const size = 100
	s := New(size)
	for i := range 10 * size {
		s.Add(fmt.Appendf(nil, "k%d", i))
	}
	s.mu.Lock()
	n := len(s.cur) + len(s.prev)
	s.mu.Unlock()
	if n > 2*size {
		t.Fatalf("holds %d keys, bound is %d", n, 2*size)
	}
	for i := 10*size - size; i < 10*size; i++ {
		if !s.Contains(fmt.Appendf(nil, "k%d", i)) {
			t.Fatalf("recent key k%d forgotten", i)
		}
	}
	if s.Contains([]byte("k0")) {
		t.Fatal("oldest key still held")
	}
}

func TestAddAllAddsEveryKey(t *testing.T) {
	s := New(10)
	s.AddAll(func(add func([]byte)) {
		add([]byte("x"))
		add([]byte("y"))
	})
	if !s.Contains([]byte("x")) || !s.Contains([]byte("y")) {
		t.Fatal("AddAll lost a key")
	}
}
