package ingest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/decnet/decnet/internal/model"
)

// journal records what the fakes saw, in order, across goroutines.
type journal struct {
	mu      sync.Mutex
	entries []string
}

func (j *journal) add(format string, args ...any) {
	j.mu.Lock()
	j.entries = append(j.entries, fmt.Sprintf(format, args...))
	j.mu.Unlock()
}

func (j *journal) all() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]string(nil), j.entries...)
}

type fakeBatch struct {
	name   string
	events []model.Event
	j      *journal
}

func (b *fakeBatch) Events() []model.Event { return b.events }

func (b *fakeBatch) Ack(ctx context.Context) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	b.j.add("ack %s", b.name)
	return nil
}

func (b *fakeBatch) Nak() error {
	b.j.add("nak %s", b.name)
	return nil
}

// fakeSource hands out queued batches, then blocks until ctx ends, as an
// idle durable consumer does.
type fakeSource struct {
	batches chan Batch
}

func newSource(bs ...Batch) *fakeSource {
	s := &fakeSource{batches: make(chan Batch, len(bs)+8)}
	for _, b := range bs {
		s.batches <- b
	}
	return s
}

func (s *fakeSource) Fetch(ctx context.Context, max int, _ time.Duration) (Batch, error) {
	select {
	case b := <-s.batches:
		if n := len(b.Events()); n > max {
			return nil, fmt.Errorf("batch of %d exceeds max %d", n, max)
		}
		return b, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// fakeRepo commits by recording event ids; hook runs before each attempt
// and may fail it.
type fakeRepo struct {
	j    *journal
	mu   sync.Mutex
	seen map[string]bool
	hook func(ctx context.Context, attempt int) error
	n    int
}

func newRepo(j *journal) *fakeRepo { return &fakeRepo{j: j, seen: map[string]bool{}} }

func (r *fakeRepo) CommitBatch(ctx context.Context, recs []model.IngestRecord) (model.IngestResult, error) {
	r.mu.Lock()
	r.n++
	attempt := r.n
	hook := r.hook
	r.mu.Unlock()
	if hook != nil {
		if err := hook(ctx, attempt); err != nil {
			r.j.add("commit failed")
			return model.IngestResult{}, err
		}
	}
	if err := ctx.Err(); err != nil {
		return model.IngestResult{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var res model.IngestResult
	for _, rec := range recs {
		if r.seen[rec.Log.EventID] {
			res.Duplicates++
			continue
		}
		r.seen[rec.Log.EventID] = true
		res.LogsInserted++
		res.BountiesInserted += len(rec.Bounties)
		if rec.Credential != nil {
			res.Credentials = append(res.Credentials, *rec.Credential)
		}
	}
	r.j.add("commit %d", len(recs))
	return res, nil
}

type published struct {
	Topic, Type string
	Payload     any
}

type fakePublisher struct {
	mu   sync.Mutex
	msgs []published
	err  error
	j    *journal
}

func (p *fakePublisher) Publish(_ context.Context, topic, typ string, payload any) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.msgs = append(p.msgs, published{topic, typ, payload})
	if p.j != nil {
		p.j.add("publish %s", topic)
	}
	return p.err
}

func (p *fakePublisher) all() []published {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]published(nil), p.msgs...)
}

func ids(prefix string, n int) []model.Event {
	evs := make([]model.Event, n)
	for i := range evs {
		evs[i] = event("ssh", "command", map[string]string{"cmd": "id"})
		evs[i].ID = fmt.Sprintf("%s-%d", prefix, i)
	}
	return evs
}

// waitFor polls cond until it holds, failing the test after a generous
// deadline; it never asserts how long anything took.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// start runs w in the background. stop cancels it and returns Run's
// result; it is safe to call more than once and runs at cleanup.
func start(t *testing.T, w *Worker) (cancel context.CancelFunc, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var runErr error
	go func() {
		defer close(done)
		runErr = w.Run(ctx)
	}()
	stop = func() error {
		cancel()
		<-done
		return runErr
	}
	t.Cleanup(func() { _ = stop() })
	return cancel, stop
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestNewRequiresSourceAndRepository(t *testing.T) {
	j := &journal{}
	if _, err := New(Options{Repo: newRepo(j)}); err == nil {
		t.Error("missing source accepted")
	}
	if _, err := New(Options{Source: newSource()}); err == nil {
		t.Error("missing repository accepted")
	}
	w, err := New(Options{Source: newSource(), Repo: newRepo(j)})
	if err != nil {
		t.Fatal(err)
	}
	if w.o.BatchSize != DefaultBatchSize || w.o.MaxWait != DefaultMaxWait || w.o.RetryMin != DefaultRetryMin || w.o.RetryMax != DefaultRetryMax {
		t.Errorf("defaults not applied: %+v", w.o)
	}
	if got := w.Status().State; got != StateStarting {
		t.Errorf("state before Run = %q", got)
	}
}

func TestWorkerAcksOnlyAfterCommitAndAnnounces(t *testing.T) {
	j := &journal{}
	cred := event("ssh", "auth_attempt", map[string]string{"secret_b64": b64("toor"), "username": "root"})
	cred.ID = "cred-1"
	b := &fakeBatch{name: "b1", events: append(ids("e", 2), cred), j: j}
	pub := &fakePublisher{j: j}
	w, err := New(Options{Source: newSource(b), Repo: newRepo(j), Publisher: pub})
	if err != nil {
		t.Fatal(err)
	}
	_, stop := start(t, w)
	waitFor(t, "batch announced", func() bool { return len(pub.all()) == 2 })

	want := []string{"commit 3", "ack b1", "publish credential.captured", "publish system.log"}
	if diff := cmp.Diff(want, j.all()); diff != "" {
		t.Errorf("sequence mismatch (-want +got):\n%s", diff)
	}
	wantMsgs := []published{
		{"credential.captured", "captured", CredentialCapturedPayload{
			SecretSHA256: sha("toor"), SecretKind: "plaintext", AttackerIP: "198.51.100.23", Decky: "decky-01", Service: "ssh",
		}},
		{"system.log", "batch_committed", BatchCommittedPayload{Component: "ingester", Flushed: 3, Duplicates: 0}},
	}
	if diff := cmp.Diff(wantMsgs, pub.all()); diff != "" {
		t.Errorf("notifications mismatch (-want +got):\n%s", diff)
	}
	st := w.Status()
	if st.State != StateRunning || st.Committed != 3 || st.Duplicates != 0 || st.LastCommit.IsZero() {
		t.Errorf("status %+v", st)
	}
	if err := stop(); err != nil {
		t.Errorf("Run after idle cancel = %v, want nil", err)
	}
	if got := w.Status().State; got != StateStopped {
		t.Errorf("state after Run = %q", got)
	}
}

func TestWorkerRetriesFailedCommitWithoutAckingUntilItSucceeds(t *testing.T) {
	j := &journal{}
	repo := newRepo(j)
	var w *Worker
	var statesDuringRetry []string
	repo.hook = func(_ context.Context, attempt int) error {
		if attempt > 1 {
			statesDuringRetry = append(statesDuringRetry, w.Status().State)
		}
		if attempt <= 3 {
			return errors.New("database is locked")
		}
		return nil
	}
	b := &fakeBatch{name: "b1", events: ids("e", 4), j: j}
	var err error
	w, err = New(Options{Source: newSource(b), Repo: repo, RetryMin: time.Microsecond, RetryMax: 4 * time.Microsecond})
	if err != nil {
		t.Fatal(err)
	}
	start(t, w)
	waitFor(t, "ack", func() bool { return contains(j.all(), "ack b1") })

	want := []string{"commit failed", "commit failed", "commit failed", "commit 4", "ack b1"}
	if diff := cmp.Diff(want, j.all()); diff != "" {
		t.Errorf("sequence mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{StatePaused, StatePaused, StatePaused}, statesDuringRetry); diff != "" {
		t.Errorf("states while retrying (-want +got):\n%s", diff)
	}
	st := w.Status()
	if st.State != StateRunning || st.Committed != 4 || st.LastError != "database is locked" {
		t.Errorf("status after recovery %+v", st)
	}
}

func TestWorkerShutdownCommitsTheBatchInHand(t *testing.T) {
	j := &journal{}
	repo := newRepo(j)
	inCommit := make(chan struct{})
	release := make(chan struct{})
	repo.hook = func(ctx context.Context, _ int) error {
		close(inCommit)
		<-release
		return ctx.Err()
	}
	w, err := New(Options{Source: newSource(&fakeBatch{name: "b1", events: ids("e", 2), j: j}), Repo: repo})
	if err != nil {
		t.Fatal(err)
	}
	cancel, stop := start(t, w)
	<-inCommit
	cancel()
	close(release)
	if err := stop(); err != nil {
		t.Fatalf("Run = %v, want a clean drain", err)
	}
	if diff := cmp.Diff([]string{"commit 2", "ack b1"}, j.all()); diff != "" {
		t.Errorf("sequence mismatch (-want +got):\n%s", diff)
	}
}

func TestWorkerShutdownDuringOutageNaksAndNeverAcks(t *testing.T) {
	j := &journal{}
	repo := newRepo(j)
	failed := make(chan struct{}, 1)
	repo.hook = func(context.Context, int) error {
		select {
		case failed <- struct{}{}:
		default:
		}
		return errors.New("connection refused")
	}
	w, err := New(Options{
		Source: newSource(&fakeBatch{name: "b1", events: ids("e", 2), j: j}), Repo: repo,
		RetryMin: time.Hour, RetryMax: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	_, stop := start(t, w)
	<-failed
	waitFor(t, "paused", func() bool { return w.Status().State == StatePaused })
	if err := stop(); err == nil {
		t.Fatal("Run = nil, want the uncommitted batch reported")
	}
	got := j.all()
	if !contains(got, "nak b1") || contains(got, "ack b1") {
		t.Errorf("want nak and no ack, got %v", got)
	}
	if w.Status().State != StateStopped {
		t.Errorf("state %q", w.Status().State)
	}
}

func TestWorkerRedeliveredBatchCountsDuplicates(t *testing.T) {
	j := &journal{}
	evs := ids("e", 3)
	src := newSource(&fakeBatch{name: "b1", events: evs, j: j}, &fakeBatch{name: "b2", events: evs, j: j})
	pub := &fakePublisher{}
	w, err := New(Options{Source: src, Repo: newRepo(j), Publisher: pub})
	if err != nil {
		t.Fatal(err)
	}
	start(t, w)
	waitFor(t, "second ack", func() bool { return contains(j.all(), "ack b2") })
	st := w.Status()
	if st.Committed != 3 || st.Duplicates != 3 {
		t.Errorf("status %+v", st)
	}
	// The two batches may share a transaction; either way the
	// notifications add up to three rows flushed and three duplicates.
	var total BatchCommittedPayload
	waitFor(t, "announcements of all six events", func() bool {
		total = BatchCommittedPayload{}
		for _, p := range pub.all() {
			bc := p.Payload.(BatchCommittedPayload)
			total.Flushed += bc.Flushed
			total.Duplicates += bc.Duplicates
		}
		return total.Flushed+total.Duplicates == 6
	})
	if total != (BatchCommittedPayload{Flushed: 3, Duplicates: 3}) {
		t.Errorf("batch_committed totals = %+v", total)
	}
}

func TestWorkerKeepsGoingWhenPublishFails(t *testing.T) {
	j := &journal{}
	src := newSource(&fakeBatch{name: "b1", events: ids("a", 1), j: j}, &fakeBatch{name: "b2", events: ids("b", 1), j: j})
	pub := &fakePublisher{err: errors.New("bus down")}
	w, err := New(Options{Source: src, Repo: newRepo(j), Publisher: pub})
	if err != nil {
		t.Fatal(err)
	}
	start(t, w)
	waitFor(t, "both batches acked", func() bool { return contains(j.all(), "ack b2") })
	if w.Status().Committed != 2 {
		t.Errorf("status %+v", w.Status())
	}
}

func TestWorkerDropsEventsWithoutID(t *testing.T) {
	j := &journal{}
	evs := ids("e", 2)
	evs[0].ID = ""
	w, err := New(Options{Source: newSource(&fakeBatch{name: "b1", events: evs, j: j}), Repo: newRepo(j)})
	if err != nil {
		t.Fatal(err)
	}
	start(t, w)
	waitFor(t, "ack", func() bool { return contains(j.all(), "ack b1") })
	st := w.Status()
	if st.Dropped != 1 || st.Committed != 1 {
		t.Errorf("status %+v", st)
	}
}

func TestWorkerAcksBatchWithNothingToCommit(t *testing.T) {
	j := &journal{}
	evs := ids("e", 1)
	evs[0].ID = ""
	w, err := New(Options{Source: newSource(&fakeBatch{name: "b1", events: evs, j: j}), Repo: newRepo(j)})
	if err != nil {
		t.Fatal(err)
	}
	start(t, w)
	waitFor(t, "ack", func() bool { return contains(j.all(), "ack b1") })
	if contains(j.all(), "commit 0") {
		t.Error("empty commit issued")
	}
}

// flakySource fails its first fetches, as a bus reconnecting does.
type flakySource struct {
	*fakeSource
	mu    sync.Mutex
	fails int
}

func (s *flakySource) Fetch(ctx context.Context, max int, wait time.Duration) (Batch, error) {
	s.mu.Lock()
	if s.fails > 0 {
		s.fails--
		s.mu.Unlock()
		return nil, errors.New("nats: no responders")
	}
	s.mu.Unlock()
	return s.fakeSource.Fetch(ctx, max, wait)
}

func TestWorkerRecoversFromFetchErrors(t *testing.T) {
	j := &journal{}
	src := &flakySource{fakeSource: newSource(&fakeBatch{name: "b1", events: ids("e", 1), j: j}), fails: 3}
	w, err := New(Options{Source: src, Repo: newRepo(j), RetryMin: time.Microsecond, RetryMax: time.Microsecond})
	if err != nil {
		t.Fatal(err)
	}
	start(t, w)
	waitFor(t, "ack", func() bool { return contains(j.all(), "ack b1") })
	if st := w.Status(); st.State != StateRunning || st.LastError != "nats: no responders" {
		t.Errorf("status %+v", st)
	}
}

func TestWorkerRunTwiceIsRefused(t *testing.T) {
	j := &journal{}
	w, err := New(Options{Source: newSource(), Repo: newRepo(j)})
	if err != nil {
		t.Fatal(err)
	}
	start(t, w)
	waitFor(t, "running", func() bool { return w.Status().State == StateRunning })
	if err := w.Run(context.Background()); err == nil {
		t.Error("second concurrent Run accepted")
	}
}

func TestWorkerKeepsTheLogsRowWhenDerivePanics(t *testing.T) {
	j := &journal{}
	repo := newRepo(j)
	var got []model.IngestRecord
	var mu sync.Mutex
	rec := &recordingRepo{fakeRepo: repo, got: &got, mu: &mu}
	evs := ids("e", 1)
	w, err := New(Options{
		Source: newSource(&fakeBatch{name: "b1", events: evs, j: j}), Repo: rec,
		Derive: DeriveOptions{Format: func(model.Event) string { panic("formatter bug") }},
	})
	if err != nil {
		t.Fatal(err)
	}
	start(t, w)
	waitFor(t, "ack", func() bool { return contains(j.all(), "ack b1") })
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0].Log.EventID != "e-0" || got[0].Log.Fields["cmd"] != "id" {
		t.Errorf("committed %+v", got)
	}
}

// recordingRepo keeps the records it was asked to commit.
type recordingRepo struct {
	*fakeRepo
	mu  *sync.Mutex
	got *[]model.IngestRecord
}

func (r *recordingRepo) CommitBatch(ctx context.Context, recs []model.IngestRecord) (model.IngestResult, error) {
	r.mu.Lock()
	*r.got = append(*r.got, recs...)
	r.mu.Unlock()
	return r.fakeRepo.CommitBatch(ctx, recs)
}

func TestWorkerAnnouncesEachCredentialCombinationOnce(t *testing.T) {
	j := &journal{}
	attempt := func(id, pw string) model.Event {
		ev := event("ssh", "auth_attempt", map[string]string{"secret_b64": b64(pw), "username": "root"})
		ev.ID = id
		return ev
	}
	b1 := &fakeBatch{name: "b1", events: []model.Event{attempt("a1", "toor"), attempt("a2", "123456")}, j: j}
	b2 := &fakeBatch{name: "b2", events: []model.Event{attempt("a3", "toor"), attempt("a4", "letmein")}, j: j}
	pub := &fakePublisher{j: j}
	w, err := New(Options{Source: newSource(b1, b2), Repo: newRepo(j), Publisher: pub})
	if err != nil {
		t.Fatal(err)
	}
	_, stop := start(t, w)
	waitFor(t, "both batches announced", func() bool {
		n := 0
		for _, p := range pub.all() {
			if p.Topic == "system.log" {
				n += p.Payload.(BatchCommittedPayload).Flushed
			}
		}
		return n == 4
	})
	var secrets []string
	for _, p := range pub.all() {
		if p.Topic == "credential.captured" {
			secrets = append(secrets, p.Payload.(CredentialCapturedPayload).SecretSHA256)
		}
	}
	// The repeated "toor" attempt is stored (attempt_count 2) but announced
	// once: consumers learn of a combination, not of every attempt.
	if diff := cmp.Diff([]string{sha("toor"), sha("123456"), sha("letmein")}, secrets); diff != "" {
		t.Errorf("announced secrets (-want +got):\n%s", diff)
	}
	if err := stop(); err != nil {
		t.Error(err)
	}
}

// countingSource counts Fetch calls: the fetcher asks for batch n+1 only
// after handing batch n to the committer.
type countingSource struct {
	*fakeSource
	calls atomic.Int32
}

func (s *countingSource) Fetch(ctx context.Context, max int, wait time.Duration) (Batch, error) {
	s.calls.Add(1)
	return s.fakeSource.Fetch(ctx, max, wait)
}

func TestWorkerCommitsQueuedBatchesInOneTransaction(t *testing.T) {
	j := &journal{}
	src := &countingSource{fakeSource: newSource(&fakeBatch{name: "b1", events: ids("a", 2), j: j})}
	started, release := make(chan struct{}), make(chan struct{})
	var mu sync.Mutex
	var sizes []int
	repo := newRepo(j)
	repo.hook = func(ctx context.Context, attempt int) error {
		if attempt == 1 {
			close(started)
			<-release
		}
		return nil
	}
	rec := &sizeRepo{fakeRepo: repo, mu: &mu, sizes: &sizes}
	w, err := New(Options{Source: src, Repo: rec})
	if err != nil {
		t.Fatal(err)
	}
	start(t, w)
	<-started
	src.batches <- &fakeBatch{name: "b2", events: ids("b", 2), j: j}
	src.batches <- &fakeBatch{name: "b3", events: ids("c", 2), j: j}
	// b2 and b3 are queued behind the blocked first commit once the
	// fetcher asks for a fourth batch.
	waitFor(t, "b2 and b3 queued", func() bool { return src.calls.Load() >= 4 })
	close(release)
	waitFor(t, "all acked", func() bool { return contains(j.all(), "ack b3") })
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff([]int{2, 4}, sizes); diff != "" {
		t.Errorf("records per transaction (-want +got):\n%s", diff)
	}
	if st := w.Status(); st.Committed != 6 {
		t.Errorf("committed %d, want 6", st.Committed)
	}
}

// sizeRepo records how many records each transaction carried.
type sizeRepo struct {
	*fakeRepo
	mu    *sync.Mutex
	sizes *[]int
}

func (r *sizeRepo) CommitBatch(ctx context.Context, recs []model.IngestRecord) (model.IngestResult, error) {
	res, err := r.fakeRepo.CommitBatch(ctx, recs)
	if err == nil {
		r.mu.Lock()
		*r.sizes = append(*r.sizes, len(recs))
		r.mu.Unlock()
	}
	return res, err
}
