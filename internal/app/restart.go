package app

import (
	"context"
	"fmt"
	"sync"
)

// runRestartable runs a worker of `decnet up` that operators can stop and
// start again over system.<name>.control (POST /workers/{name}/stop and
// /start): run is called with a context that a stop cancels, and called
// again on a start while it is not running. Its heartbeat runs only while
// it does, so GET /workers shows a stopped worker going stale.
func (a *App) runRestartable(ctx context.Context, name string, extra func() any, run func(ctx context.Context)) error {
	type instance struct {
		cancel   context.CancelFunc
		done     chan struct{}
		stopping bool
	}
	var (
		mu    sync.Mutex
		cur   *instance
		start func()
	)
	start = func() {
		mu.Lock()
		defer mu.Unlock()
		if ctx.Err() != nil {
			return
		}
		if cur != nil {
			select {
			case <-cur.done:
			default:
				if cur.stopping {
					// A start right after a stop runs once the old run
					// has let go of its consumer.
					prev := cur.done
					a.goRun(func() {
						<-prev
						start()
					})
				}
				return
			}
		}
		wctx, cancel := context.WithCancel(ctx)
		inst := &instance{cancel: cancel, done: make(chan struct{})}
		cur = inst
		a.goRun(func() { a.bus.RunHeartbeat(wctx, name, heartbeatInterval, extra) })
		a.goRun(func() {
			defer close(inst.done)
			defer cancel()
			run(wctx)
		})
	}
	stop := func() {
		mu.Lock()
		defer mu.Unlock()
		if cur != nil && !cur.stopping {
			a.log.Info("worker stopping on request", "worker", name)
			cur.stopping = true
			cur.cancel()
		}
	}
	start()
	if _, err := a.bus.OnControlActions(name, stop, start); err != nil {
		return fmt.Errorf("bus: subscribe to %s control: %v", name, err)
	}
	return nil
}
