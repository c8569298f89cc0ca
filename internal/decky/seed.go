package decky

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// Seed is a decky's persona seed: the first 8 bytes (big-endian) of
// SHA-256("<name>:<instance>") (spec/fleet.md §1.3). The planner uses
// instance "0"; another instance id gives the same decky a fresh persona.
func Seed(name, instance string) uint64 {
	sum := sha256.Sum256([]byte(name + ":" + instance))
	return binary.BigEndian.Uint64(sum[:8])
}

// pcgIncrement is PCG's second seed word. Any odd-ish constant works; this one
// (2^64/φ) spreads nearby seeds apart.
const pcgIncrement = 0x9E3779B97F4A7C15

// Rand is a deterministic random source for persona choices: the same seed
// gives the same sequence on every run and platform. It is not safe for
// concurrent use; give each goroutine its own (Persona.Rand) and use the
// unseeded math/rand/v2 functions for per-connection jitter, which must not
// be predictable.
type Rand struct {
	r *rand.Rand
}

// NewRand returns a Rand seeded with seed (PCG, math/rand/v2).
func NewRand(seed uint64) *Rand {
	return &Rand{r: rand.New(rand.NewPCG(seed, seed^pcgIncrement))}
}

// Uint64 returns the next 64 random bits.
func (r *Rand) Uint64() uint64 { return r.r.Uint64() }

// Float64 returns a number in [0, 1).
func (r *Rand) Float64() float64 { return r.r.Float64() }

// Intn returns a number in [0, n); n <= 0 gives 0 rather than a panic, so a
// persona helper fed an empty table degrades instead of killing a decky.
func (r *Rand) Intn(n int) int {
	if n <= 0 {
		return 0
	}
	return r.r.IntN(n)
}

// IntRange returns a number in [lo, hi], both inclusive, as the spec's ranges
// ("10–99", "1–3") are written.
func (r *Rand) IntRange(lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + r.Intn(hi-lo+1)
}

// Shuffle permutes n elements through swap.
func (r *Rand) Shuffle(n int, swap func(i, j int)) { r.r.Shuffle(n, swap) }

// Pick returns a uniformly chosen element, or the zero value for an empty
// slice.
func Pick[T any](r *Rand, items []T) T {
	var zero T
	if len(items) == 0 {
		return zero
	}
	return items[r.Intn(len(items))]
}

// PickWeighted returns an element chosen with probability proportional to its
// weight. Negative weights count as 0; a length mismatch or all-zero weights
// fall back to a uniform pick, so a bad table still yields a value.
func PickWeighted[T any](r *Rand, items []T, weights []float64) T {
	if len(items) != len(weights) {
		return Pick(r, items)
	}
	total := 0.0
	for _, w := range weights {
		if w > 0 {
			total += w
		}
	}
	if total <= 0 {
		return Pick(r, items)
	}
	x := r.Float64() * total
	for i, w := range weights {
		if w <= 0 {
			continue
		}
		if x < w {
			return items[i]
		}
		x -= w
	}
	// Rounding can leave x a hair above the last bucket.
	for i := len(items) - 1; i >= 0; i-- {
		if weights[i] > 0 {
			return items[i]
		}
	}
	return Pick(r, items)
}

// DeriveBytes returns n bytes derived from SHA-256("<host>:<ns>") without
// touching any Rand, so a value (a machine id, a MAC) does not change when
// other persona choices are added or reordered. Beyond 32 bytes the output
// continues with SHA-256("<host>:<ns>#<k>").
func DeriveBytes(host, ns string, n int) []byte {
	return derive(host+":"+ns, n)
}

// DeriveBytesAt is DeriveBytes for the i-th value of a namespace, keyed
// "<host>:<ns>:<i>".
func DeriveBytesAt(host, ns string, i, n int) []byte {
	return derive(host+":"+ns+":"+strconv.Itoa(i), n)
}

// DeriveHex returns n lowercase hex characters derived like DeriveBytes.
func DeriveHex(host, ns string, n int) string {
	return derivedHex(host+":"+ns, n)
}

// DeriveHexAt returns n lowercase hex characters derived like DeriveBytesAt.
func DeriveHexAt(host, ns string, i, n int) string {
	return derivedHex(host+":"+ns+":"+strconv.Itoa(i), n)
}

// DeriveUUID returns a name-based (version 5) UUID for "<host>:<ns>", stable
// per decky and namespace.
func DeriveUUID(host, ns string) uuid.UUID {
	return uuid.NewSHA1(uuid.NameSpaceDNS, []byte(host+":"+ns))
}

func derive(key string, n int) []byte {
	if n <= 0 {
		return nil
	}
	out := make([]byte, 0, n+sha256.Size)
	for k := 0; len(out) < n; k++ {
		in := key
		if k > 0 {
			in = key + "#" + strconv.Itoa(k)
		}
		sum := sha256.Sum256([]byte(in))
		out = append(out, sum[:]...)
	}
	return out[:n]
}

func derivedHex(key string, n int) string {
	if n <= 0 {
		return ""
	}
	return hex.EncodeToString(derive(key, (n+1)/2))[:n]
}

// Fake uptime bounds (spec/fleet.md §1.3): a host that booted at least an hour
// and at most 45 days ago looks lived-in without looking neglected.
const (
	MinBootAge = time.Hour
	MaxBootAge = 45 * 24 * time.Hour
)

// processStart anchors fake boot times, so a decky's uptime grows with the
// process like a real host's and is stable for the life of the process.
var processStart = time.Now()

// BootAge is how long before this process started the decky pretends to have
// booted: in [MinBootAge, MaxBootAge], whole seconds, derived from the host.
func BootAge(host string) time.Duration {
	span := uint64((MaxBootAge - MinBootAge) / time.Second)
	v := binary.BigEndian.Uint64(DeriveBytes(host, "boot", 8))
	return MinBootAge + time.Duration(v%(span+1))*time.Second
}

// BootTime is the decky's fake boot time.
func BootTime(host string) time.Time {
	return processStart.Add(-BootAge(host)).Truncate(time.Second)
}

// Uptime is the decky's fake uptime at now: its boot age plus how long this
// process has been running.
func Uptime(host string, now time.Time) time.Duration {
	return now.Sub(BootTime(host))
}
