package shell

import "strings"

// prng is splitmix64. The package uses its own generator rather than
// math/rand so that a decky's seeded artefacts stay byte-identical across Go
// releases: a decky must look the same after an upgrade as before it.
type prng struct{ s uint64 }

// newRNG returns a generator for one purpose (label) of one persona seed.
// Separate labels give independent streams, so adding a draw for one
// artefact never shifts the values of another.
func newRNG(seed uint64, label string) *prng {
	r := &prng{s: seed ^ fnv64(label)}
	r.next()
	return r
}

func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

func (r *prng) next() uint64 {
	r.s += 0x9E3779B97F4A7C15
	z := r.s
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// intn returns a value in [0, n); n <= 0 gives 0. The modulo bias is far
// below anything an observer could notice in persona artefacts.
func (r *prng) intn(n int) int {
	if n <= 0 {
		return 0
	}
	return int(r.next() % uint64(n))
}

// between returns a value in [lo, hi].
func (r *prng) between(lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + r.intn(hi-lo+1)
}

// chance reports true with probability pct/100.
func (r *prng) chance(pct int) bool { return r.intn(100) < pct }

func pick[T any](r *prng, xs []T) T { return xs[r.intn(len(xs))] }

const (
	lowerHex    = "0123456789abcdef"
	alnumChars  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	upperAlnum  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	cryptChars  = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	base64Chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)

// chars returns n characters drawn from alphabet.
func (r *prng) chars(n int, alphabet string) string {
	var b strings.Builder
	b.Grow(n)
	for range n {
		b.WriteByte(alphabet[r.intn(len(alphabet))])
	}
	return b.String()
}

// bytes fills p with pseudo-random bytes.
func (r *prng) bytes(p []byte) {
	for i := 0; i < len(p); i += 8 {
		v := r.next()
		for j := 0; j < 8 && i+j < len(p); j++ {
			p[i+j] = byte(v >> (8 * j))
		}
	}
}
