package model

import (
	"encoding/binary"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"
)

// NewEventID returns a UUIDv7 (RFC 9562) for an event: 48 bits of Unix
// milliseconds, so ids sort by time and the logs event_id index grows at
// its end, then 74 random bits. They are identifiers, not secrets, so the
// bits come from math/rand/v2's per-thread generator (seeded by the OS)
// instead of crypto/rand: every decoy request makes one, and uuid.NewV7's
// locked crypto read was a visible share of that (docs/benchmarks.md).
func NewEventID() string {
	var u uuid.UUID
	ms := uint64(time.Now().UnixMilli())
	u[0], u[1], u[2], u[3], u[4], u[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	a := rand.Uint64()
	u[6] = 0x70 | byte(a>>8)&0x0f // version 7, then 12 random bits
	u[7] = byte(a)
	binary.BigEndian.PutUint64(u[8:], rand.Uint64())
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
	return u.String()
}
