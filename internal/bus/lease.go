package bus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// DefaultLeaseTTL is how long a lease outlives its holder's last renewal: a
// crashed holder's singleton worker resumes in another process after at most
// this long.
const DefaultLeaseTTL = 15 * time.Second

// leaseBucketBase names the key-value bucket holding the leases.
const leaseBucketBase = "LEASES"

// RunExclusive runs fn while this process holds the lease called name, so
// that of several processes sharing one NATS server exactly one runs a
// singleton worker (the profiler, which keeps per-address state in memory;
// the clusterers, whose ticks must not interleave). Processes that do not
// hold the lease wait and take over when the holder stops or its lease
// expires (Options.LeaseTTL after its last renewal). fn's context is
// cancelled when the lease is lost; fn must then return. RunExclusive
// returns when ctx is done and fn has returned, releasing the lease.
func (b *Bus) RunExclusive(ctx context.Context, name string, fn func(ctx context.Context)) error {
	if err := Token(name); err != nil {
		return fmt.Errorf("bus: invalid lease name: %w", err)
	}
	ttl := b.opts.LeaseTTL
	kv, err := b.leaseBucket(ctx, ttl)
	if err != nil {
		return err
	}
	owner := newID()
	retry := time.NewTicker(ttl / 3)
	defer retry.Stop()
	waiting := false
	for ctx.Err() == nil {
		rev, err := kv.Create(ctx, name, []byte(owner))
		switch {
		case err == nil:
			waiting = false
			if b.holdLease(ctx, kv, name, owner, rev, ttl, fn) {
				return nil
			}
			continue
		case errors.Is(err, jetstream.ErrKeyExists):
			if !waiting {
				b.log.Info("bus: another process holds the lease; standing by", "lease", name)
				waiting = true
			}
		case ctx.Err() == nil:
			b.log.Warn("bus: lease not acquired; retrying", "lease", name, "err", err)
		}
		select {
		case <-ctx.Done():
		case <-retry.C:
		}
	}
	return nil
}

// holdLease runs fn under the lease at revision rev, renewing it every
// ttl/3. It reports whether fn finished on its own (true) rather than
// because the lease was lost (false), and releases the lease in the first
// case.
func (b *Bus) holdLease(ctx context.Context, kv jetstream.KeyValue, name, owner string, rev uint64, ttl time.Duration,
	fn func(ctx context.Context)) bool {
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() { defer close(done); fn(lctx) }()
	renew := time.NewTicker(ttl / 3)
	defer renew.Stop()
	for {
		select {
		case <-done:
			rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), b.opts.PublishTimeout)
			defer rcancel()
			if err := kv.Delete(rctx, name, jetstream.LastRevision(rev)); err != nil {
				b.log.Debug("bus: lease release failed; it expires on its own", "lease", name, "err", err)
			}
			return true
		case <-renew.C:
			rctx, rcancel := context.WithTimeout(ctx, ttl/3)
			next, err := kv.Update(rctx, name, []byte(owner), rev)
			rcancel()
			if err == nil {
				rev = next
				continue
			}
			if ctx.Err() != nil {
				continue // shutting down: fn is returning
			}
			// Another process may take over once the lease expires, so
			// stop now rather than risk two holders.
			b.log.Warn("bus: lease lost; stopping its worker", "lease", name, "err", err)
			cancel()
			<-done
			return false
		}
	}
}

// leaseBucket opens (creating when missing) the key-value bucket of leases;
// its TTL is the lease TTL, so an unrenewed lease expires.
func (b *Bus) leaseBucket(ctx context.Context, ttl time.Duration) (jetstream.KeyValue, error) {
	if b.closed.Load() {
		return nil, ErrClosed
	}
	bucket := leaseBucketBase
	if b.prefix != "" {
		bucket = b.opts.SubjectPrefix + "_" + leaseBucketBase
	}
	cctx, cancel := context.WithTimeout(ctx, b.opts.PublishTimeout)
	defer cancel()
	kv, err := b.js.CreateOrUpdateKeyValue(cctx, jetstream.KeyValueConfig{
		Bucket:      bucket,
		Description: "decnet singleton-worker leases",
		TTL:         ttl,
		History:     1,
	})
	if err != nil {
		return nil, fmt.Errorf("bus: lease bucket %s: %w", bucket, err)
	}
	return kv, nil
}
