package sqlstore

import "sync"

// bountyCacheSize bounds each generation of the bounty cache: 2 × 64 Ki keys
// of ~100 bytes is about 13 MiB at most.
const bountyCacheSize = 64 << 10

// bountyCache remembers the dedup keys of bounty rows known to be stored, so
// the thousandth identical finding (a scanner's User-Agent, a fixed header
// order) skips the database instead of running an insert-or-ignore. Keys
// enter only after their batch committed, so a rolled-back batch never
// leaves a key for a row that does not exist. It holds two generations and
// drops the older one when the newer fills, which keeps it bounded without
// per-key bookkeeping. Anything that deletes bounty rows must clear it
// (cur and prev to nil).
type bountyCache struct {
	mu        sync.Mutex
	cur, prev map[string]struct{}
}

func bountyKey(row *[bountyInsertCols]any) string {
	typ, _ := row[4].(string)
	ip, _ := row[3].(string)
	sum, _ := row[6].(string)
	return typ + "\x00" + ip + "\x00" + sum
}

// seen reports whether the row's dedup key is known to be stored.
func (c *bountyCache) seen(row [bountyInsertCols]any) bool {
	k := bountyKey(&row)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.cur[k]; ok {
		return true
	}
	_, ok := c.prev[k]
	return ok
}

// remember records the bounty keys of a committed batch.
func (c *bountyCache) remember(recs []preparedRecord) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range recs {
		for j := range recs[i].bounty {
			if c.cur == nil || len(c.cur) >= bountyCacheSize {
				c.prev, c.cur = c.cur, make(map[string]struct{}, 1024)
			}
			c.cur[bountyKey(&recs[i].bounty[j])] = struct{}{}
		}
	}
}
