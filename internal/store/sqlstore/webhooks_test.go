package sqlstore

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

// webhook_subscriptions joins the harness's table lists: the migration test
// expects every table, and the shared MySQL database is emptied between
// tests.
func sampleWebhook(name string) model.WebhookSubscription {
	return model.WebhookSubscription{
		Name: name, URL: "https://siem.example.com/hook?x=1", Secret: "0123456789abcdef-secret",
		Topics: []string{"attacker.>", "decky.*.state"}, Enabled: true,
	}
}

func TestWebhookRoundTripsEveryField(t *testing.T) {
	clk := &clock{}
	eachDialectWith(t, Options{Now: clk.Now}, func(t *testing.T, s *Store) {
		clk.Set(t0)
		in := sampleWebhook("ξενία-siem")
		in.UUID = "6f1c1f0e-9a4b-4c1d-8e2f-0123456789ab"
		in.ConsecutiveFailures = 3
		in.LastSuccessAt, in.LastFailureAt = t0.Add(-2*time.Hour), t0.Add(-time.Hour)
		in.LastError, in.AutoDisabledAt = "HTTP 503 ✗", t0.Add(-time.Minute)
		got, err := s.CreateWebhook(t.Context(), in)
		if err != nil {
			t.Fatal(err)
		}
		want := in
		for _, p := range []*time.Time{&want.LastSuccessAt, &want.LastFailureAt, &want.AutoDisabledAt} {
			*p = p.Truncate(time.Microsecond)
		}
		want.CreatedAt, want.UpdatedAt = t0.Truncate(time.Microsecond), t0.Truncate(time.Microsecond)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("created (-want +got):\n%s", diff)
		}
		list, err := s.ListWebhooks(t.Context(), false)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]model.WebhookSubscription{want}, list); diff != "" {
			t.Errorf("list (-want +got):\n%s", diff)
		}
	})
}

func TestWebhookCreateDefaultsAndConflicts(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		in := sampleWebhook("a")
		in.Topics = nil
		a, err := s.CreateWebhook(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.UUID) != 36 || a.Topics == nil || len(a.Topics) != 0 || !a.LastSuccessAt.IsZero() ||
			a.LastError != "" {
			t.Errorf("defaults: %+v", a)
		}
		if _, err := s.CreateWebhook(ctx, sampleWebhook("a")); !errors.Is(err, store.ErrConflict) ||
			!strings.Contains(err.Error(), `"a"`) {
			t.Errorf("duplicate name: %v, want ErrConflict naming it", err)
		}
		for _, bad := range []func(*model.WebhookSubscription){
			func(w *model.WebhookSubscription) { w.Name = "" },
			func(w *model.WebhookSubscription) { w.Name = strings.Repeat("é", 65) },
			func(w *model.WebhookSubscription) { w.URL = "" },
			func(w *model.WebhookSubscription) { w.Secret = strings.Repeat("s", 257) },
		} {
			w := sampleWebhook("b")
			bad(&w)
			if _, err := s.CreateWebhook(ctx, w); err == nil || errors.Is(err, store.ErrConflict) {
				t.Errorf("CreateWebhook(%+v) = %v, want a validation error", w, err)
			}
		}
		if _, err := s.CreateWebhook(ctx, sampleWebhook(strings.Repeat("é", 64))); err != nil {
			t.Errorf("64-character name: %v", err)
		}
		if _, err := s.GetWebhook(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetWebhook(unknown) = %v", err)
		}
		if err := s.DeleteWebhook(ctx, a.UUID); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteWebhook(ctx, a.UUID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second delete = %v", err)
		}
	})
}

func TestWebhookBookkeepingAndReenable(t *testing.T) {
	clk := &clock{}
	eachDialectWith(t, Options{Now: clk.Now}, func(t *testing.T, s *Store) {
		ctx := t.Context()
		clk.Set(t0)
		w, err := s.CreateWebhook(ctx, sampleWebhook("siem"))
		if err != nil {
			t.Fatal(err)
		}
		other, err := s.CreateWebhook(ctx, sampleWebhook("other"))
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 3; i++ {
			clk.Set(t0.Add(time.Duration(i) * time.Second))
			n, err := s.RecordWebhookResult(ctx, w.UUID, false, strings.Repeat("é", 600))
			if err != nil || n != i {
				t.Fatalf("failure %d: n=%d err=%v", i, n, err)
			}
		}
		got, _ := s.GetWebhook(ctx, w.UUID)
		if len(got.LastError) != 1000 || !got.LastFailureAt.Equal(t0.Add(3*time.Second).Truncate(time.Microsecond)) {
			t.Errorf("after failures: error %d bytes, last failure %v", len(got.LastError), got.LastFailureAt)
		}
		clk.Set(t0.Add(time.Minute))
		if err := s.DisableWebhook(ctx, w.UUID, true); err != nil {
			t.Fatal(err)
		}
		got, _ = s.GetWebhook(ctx, w.UUID)
		if got.Enabled || !got.AutoDisabledAt.Equal(t0.Add(time.Minute).Truncate(time.Microsecond)) ||
			got.ConsecutiveFailures != 3 {
			t.Errorf("after auto-disable: %+v", got)
		}
		enabled, err := s.ListWebhooks(ctx, true)
		if err != nil || len(enabled) != 1 || enabled[0].UUID != other.UUID {
			t.Errorf("enabled only: %v %v", enabled, err)
		}
		// An edit that leaves it disabled keeps the circuit state.
		got.URL = "https://siem.example.com/v2"
		got, err = s.UpdateWebhook(ctx, got)
		if err != nil || got.ConsecutiveFailures != 3 || got.AutoDisabledAt.IsZero() || got.LastError == "" ||
			got.URL != "https://siem.example.com/v2" {
			t.Errorf("disabled edit: %+v %v", got, err)
		}
		got.Enabled = true
		got, err = s.UpdateWebhook(ctx, got)
		if err != nil || !got.Enabled || got.ConsecutiveFailures != 0 || !got.AutoDisabledAt.IsZero() ||
			got.LastError != "" || got.LastFailureAt.IsZero() {
			t.Errorf("re-enabled: %+v %v", got, err)
		}
		// Editing an enabled row does not touch the bookkeeping.
		if _, err := s.RecordWebhookResult(ctx, w.UUID, false, "boom"); err != nil {
			t.Fatal(err)
		}
		got.Topics = []string{"system.>"}
		got, err = s.UpdateWebhook(ctx, got)
		if err != nil || got.ConsecutiveFailures != 1 || got.LastError != "boom" ||
			!cmp.Equal(got.Topics, []string{"system.>"}) {
			t.Errorf("enabled edit: %+v %v", got, err)
		}
		clk.Set(t0.Add(time.Hour))
		if n, err := s.RecordWebhookResult(ctx, w.UUID, true, ""); err != nil || n != 0 {
			t.Errorf("success: n=%d err=%v", n, err)
		}
		got, _ = s.GetWebhook(ctx, w.UUID)
		if got.LastError != "" || !got.LastSuccessAt.Equal(t0.Add(time.Hour).Truncate(time.Microsecond)) {
			t.Errorf("after success: %+v", got)
		}
		// A manual disable leaves auto_disabled_at unset.
		if err := s.DisableWebhook(ctx, other.UUID, false); err != nil {
			t.Fatal(err)
		}
		if o, _ := s.GetWebhook(ctx, other.UUID); o.Enabled || !o.AutoDisabledAt.IsZero() {
			t.Errorf("manual disable: %+v", o)
		}
		got.Name = "other"
		if _, err := s.UpdateWebhook(ctx, got); !errors.Is(err, store.ErrConflict) {
			t.Errorf("rename onto a taken name: %v", err)
		}
		for _, err := range []error{
			func() error { _, err := s.RecordWebhookResult(ctx, "nope", true, ""); return err }(),
			s.DisableWebhook(ctx, "nope", true),
			func() error { w := sampleWebhook("zz"); w.UUID = "nope"; _, err := s.UpdateWebhook(ctx, w); return err }(),
		} {
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("unknown uuid: %v, want ErrNotFound", err)
			}
		}
	})
}
