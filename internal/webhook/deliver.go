package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/decnet/decnet/internal/bus"
)

// Delivery defaults (pipeline.md §9). Each can be overridden in Options.
const (
	// DefaultTimeout bounds one attempt, connect to last body byte, as the
	// original's 10 s: a SIEM that takes longer is treated as down.
	DefaultTimeout = 10 * time.Second
	// DefaultBreakerThreshold is DECNET_WEBHOOK_CIRCUIT_THRESHOLD: five
	// consecutive failed deliveries (each already retried) mean the endpoint
	// is down, not flaky.
	DefaultBreakerThreshold = 5
	// DefaultBreakerCooldown is how long an open breaker waits before one
	// trial delivery; the same period as the original's reload poll.
	DefaultBreakerCooldown = 60 * time.Second
	// DefaultQueueSize bounds each subscription's backlog. A slow endpoint
	// with the full retry schedule takes ≈ 47 s per event, so anything deeper
	// would only hold stale notifications; the oldest go first.
	DefaultQueueSize = 256
	// DefaultMaxConcurrent is the original's global semaphore: at most this
	// many deliveries in flight across all subscriptions.
	DefaultMaxConcurrent = 10
	// maxResponseBody is how much of a receiver's answer is read (and
	// discarded) so the connection can be reused; a larger answer is cut off.
	maxResponseBody = 64 << 10
	// jitterFraction is the ±20 % spread of each retry delay.
	jitterFraction = 0.2
)

// DefaultRetryDelays are the waits before the 2nd, 3rd and 4th attempt.
var DefaultRetryDelays = []time.Duration{1 * time.Second, 2 * time.Second, 4 * time.Second}

// Result tells what became of one notification for one subscription.
type Result struct {
	// Attempts is the number of HTTP requests sent (0 when skipped or
	// blocked before any request).
	Attempts int
	// Status is the last HTTP status received, 0 if none.
	Status int
	// Err is the last error, nil when Delivered.
	Err error
	// Delivered is true when a 2xx came back.
	Delivered bool
	// Blocked is true when the SSRF guard refused the target (terminal).
	Blocked bool
	// Skipped is true when the breaker was open and nothing was sent.
	Skipped bool
}

// ErrBreakerOpen is Result.Err of a delivery skipped by an open breaker.
var ErrBreakerOpen = errors.New("webhook: circuit breaker open")

// StatusError is a non-2xx answer.
type StatusError struct{ Status int }

func (e *StatusError) Error() string {
	return "webhook: receiver answered HTTP " + strconv.Itoa(e.Status)
}

// send POSTs body for env to sub, at most maxAttempts times (0 = one more
// than the retry delays). It does not touch the breaker.
func (d *Dispatcher) send(ctx context.Context, sub Subscription, env bus.Envelope, body []byte, maxAttempts int) Result {
	var r Result
	if _, err := ValidateURL(sub.URL); err != nil {
		r.Err = err
		return r
	}
	delays := d.opts.RetryDelays
	if maxAttempts <= 0 || maxAttempts > len(delays)+1 {
		maxAttempts = len(delays) + 1
	}
	for i := 0; ; i++ {
		status, err := d.attempt(ctx, sub, env, body)
		if errors.Is(err, ErrBlocked) {
			r.Blocked, r.Err = true, err
			return r
		}
		r.Attempts++
		r.Status = status
		if err == nil && status >= 200 && status < 300 {
			r.Delivered, r.Err = true, nil
			return r
		}
		if err == nil {
			err = &StatusError{Status: status}
		}
		r.Err = err
		if i+1 >= maxAttempts || ctx.Err() != nil || !retryable(status) {
			return r
		}
		if err := d.opts.Sleep(ctx, d.opts.Jitter(delays[i])); err != nil {
			return r
		}
	}
}

// retryable: transport errors and timeouts (status 0), 5xx and 429 are
// worth another try; any other answer, 3xx included, will not change.
func retryable(status int) bool {
	return status == 0 || status >= 500 || status == http.StatusTooManyRequests
}

// attempt sends one request. The timestamp (and so the signature) is fresh
// for each attempt so a late retry is still inside the receiver's window.
func (d *Dispatcher) attempt(ctx context.Context, sub Subscription, env bus.Envelope, body []byte) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, d.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.URL, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("webhook: request: %w", err)
	}
	ts := d.opts.Now().Unix()
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", UserAgent)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderSignature, Sign([]byte(sub.Secret), ts, body))
	h.Set(HeaderEventID, env.ID)
	h.Set(HeaderEventTopic, env.Topic)
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBody))
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// jitter spreads d uniformly over ±20 %, so many decnet hosts retrying
// against one SIEM do not arrive in lockstep.
func jitter(d time.Duration) time.Duration {
	f := 1 - jitterFraction + 2*jitterFraction*rand.Float64()
	return time.Duration(float64(d) * f)
}
