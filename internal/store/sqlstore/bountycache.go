package sqlstore

import "github.com/decnet/decnet/internal/recent"

// bountyCacheSize bounds each generation of the bounty cache: 2 × 64 Ki keys
// of ~100 bytes is about 13 MiB at most.
const bountyCacheSize = 64 << 10

// maxBountyKey is the longest key appendBountyKey builds from clipped
// columns; a stack buffer of this size makes a lookup allocation-free.
const maxBountyKey = maxBountyType + 1 + maxIP + 1 + maxSHA256

// bountyCache remembers the dedup keys of bounty rows known to be stored, so
// the thousandth identical finding (a scanner's User-Agent, a fixed header
// order) skips the database instead of running an insert-or-ignore. Keys
// enter only after their batch committed, so a rolled-back batch never
// leaves a key for a row that does not exist. Anything that deletes bounty
// rows must replace it with a new one.
type bountyCache struct{ keys *recent.Set }

func newBountyCache() bountyCache { return bountyCache{recent.New(bountyCacheSize)} }

// appendBountyKey appends the dedup key (type, attacker ip, payload hash) of
// a bounty row to dst. The hash may be bytes, so a key can be built before
// the hash is a string.
func appendBountyKey[S string | []byte](dst []byte, typ, ip string, sum S) []byte {
	dst = append(dst, typ...)
	dst = append(dst, 0)
	dst = append(dst, ip...)
	dst = append(dst, 0)
	return append(dst, sum...)
}

func rowBountyKey(dst []byte, row *[bountyInsertCols]any) []byte {
	typ, _ := row[4].(string)
	ip, _ := row[3].(string)
	sum, _ := row[6].(string)
	return appendBountyKey(dst, typ, ip, sum)
}

// seen reports whether the bounty key k is known to be stored.
func (c bountyCache) seen(k []byte) bool { return c.keys.Contains(k) }

// seenRow is seen for the key of a prepared bounty row.
func (c bountyCache) seenRow(row *[bountyInsertCols]any) bool {
	var buf [maxBountyKey]byte
	return c.seen(rowBountyKey(buf[:0], row))
}

// remember records the bounty keys of a committed batch.
func (c bountyCache) remember(recs []preparedRecord) {
	var buf [maxBountyKey]byte
	c.keys.AddAll(func(add func([]byte)) {
		for i := range recs {
			for j := range recs[i].bounty {
				add(rowBountyKey(buf[:0], &recs[i].bounty[j]))
			}
		}
	})
}
