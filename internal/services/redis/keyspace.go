package redis

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// Keyspace bounds: what attackers write is kept so a GET after a SET (or
// from a second connection) answers like a real server, but one decky
// holds at most this much of it.
const (
	maxKeys      = 2048
	maxKeyspaceB = 4 << 20
)

type entry struct {
	val    []byte
	expire time.Time // zero: no TTL
}

// keyspace is one decky's database 0: a seeded bait set plus whatever
// attackers SET, shared by its connections as a real server's is.
type keyspace struct {
	mu    sync.Mutex
	keys  map[string]*entry
	bytes int
	// config is CONFIG SET's view (dir, dbfilename …), also shared.
	config map[string]string
	// lastSave is LASTSAVE's answer; SAVE moves it.
	lastSave time.Time
}

func newKeyspace(rng *rand.Rand, cfg map[string]string, now time.Time) *keyspace {
	ks := &keyspace{keys: map[string]*entry{}, config: cfg, lastSave: now.Add(-time.Duration(rng.IntN(86400)) * time.Second)}
	apps := []string{"shop", "api", "cms", "billing", "portal", "auth"}
	app := apps[rng.IntN(len(apps))]
	for range 4 + rng.IntN(6) {
		ks.put(fmt.Sprintf("session:%016x", rng.Uint64()), []byte(fmt.Sprintf(`{"user_id":%d,"role":"user","csrf":"%08x"}`, 1000+rng.IntN(9000), rng.Uint32())), time.Time{})
	}
	for i := range 2 + rng.IntN(4) {
		ks.put(fmt.Sprintf("cache:%s:feed:%d", app, i+1), []byte(fmt.Sprintf(`[{"id":%d,"title":"item %d"}]`, rng.IntN(99999), i)), time.Time{})
	}
	ks.put("stats:"+app+":visits", []byte(fmt.Sprint(10000+rng.IntN(900000))), time.Time{})
	ks.put("stats:"+app+":signups", []byte(fmt.Sprint(100+rng.IntN(9000))), time.Time{})
	ks.put("config:"+app+":smtp_password", []byte(fmt.Sprintf("Sm7p-%06x!", rng.IntN(1<<24))), time.Time{})
	return ks
}

// put stores a value, refusing it (false) when the keyspace is full.
func (ks *keyspace) put(key string, val []byte, exp time.Time) bool {
	old := ks.keys[key]
	size := len(key) + len(val)
	if old != nil {
		size -= len(key) + len(old.val)
	} else if len(ks.keys) >= maxKeys {
		return false
	}
	if ks.bytes+size > maxKeyspaceB {
		return false
	}
	ks.bytes += size
	ks.keys[key] = &entry{val: slices.Clone(val), expire: exp}
	return true
}

func (ks *keyspace) get(key string, now time.Time) (*entry, bool) {
	e, ok := ks.keys[key]
	if ok && !e.expire.IsZero() && now.After(e.expire) {
		ks.del(key)
		return nil, false
	}
	return e, ok
}

func (ks *keyspace) del(key string) bool {
	e, ok := ks.keys[key]
	if ok {
		ks.bytes -= len(key) + len(e.val)
		delete(ks.keys, key)
	}
	return ok
}

// match returns the live keys matching a Redis glob pattern, sorted so
// answers are stable.
func (ks *keyspace) match(pattern string, now time.Time) []string {
	var out []string
	for k := range ks.keys {
		if _, ok := ks.get(k, now); ok && globMatch(pattern, k) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// globMatch is Redis's stringmatch: * ? [set] [^set] [a-z] and \ escapes.
// It backtracks only to the last star, so a hostile pattern costs at most
// len(pattern)×len(s) steps instead of the exponential recursion of the
// original.
func globMatch(pattern, s string) bool {
	p, i := 0, 0
	starP, starI := -1, 0
	for i < len(s) {
		if p < len(pattern) {
			switch pattern[p] {
			case '*':
				starP, starI = p, i
				p++
				continue
			case '?':
				p++
				i++
				continue
			case '[':
				if end, ok := matchClass(pattern, p, s[i]); end > 0 {
					if ok {
						p = end
						i++
						continue
					}
				} else if s[i] == '[' {
					p++
					i++
					continue
				}
			case '\\':
				if p+1 < len(pattern) && pattern[p+1] == s[i] {
					p += 2
					i++
					continue
				}
			default:
				if pattern[p] == s[i] {
					p++
					i++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		starI++
		p, i = starP+1, starI
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// matchClass matches c against the [class] starting at pattern[p]. end is
// the index after the closing ']' (0 when the class is unterminated).
func matchClass(pattern string, p int, c byte) (end int, ok bool) {
	j := p + 1
	neg := false
	if j < len(pattern) && pattern[j] == '^' {
		neg = true
		j++
	}
	for j < len(pattern) && pattern[j] != ']' {
		switch {
		case pattern[j] == '\\' && j+1 < len(pattern):
			j++
			if pattern[j] == c {
				ok = true
			}
		case j+2 < len(pattern) && pattern[j+1] == '-' && pattern[j+2] != ']':
			lo, hi := pattern[j], pattern[j+2]
			if lo > hi {
				lo, hi = hi, lo
			}
			if c >= lo && c <= hi {
				ok = true
			}
			j += 2
		default:
			if pattern[j] == c {
				ok = true
			}
		}
		j++
	}
	if j >= len(pattern) {
		return 0, false
	}
	return j + 1, ok != neg
}
