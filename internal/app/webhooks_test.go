package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/webhook"
)

func TestBusNotificationOnASubscribedTopicReachesASignedWebhook(t *testing.T) {
	const secret = "app-test-secret-0123456789abcdef"
	type delivery struct {
		body     string
		topic    string
		verified error
	}
	got := make(chan delivery, 16)
	recv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- delivery{body: string(b), topic: r.Header.Get(webhook.HeaderEventTopic),
			verified: webhook.Verify([]byte(secret), r.Header.Get(webhook.HeaderSignature),
				r.Header.Get(webhook.HeaderTimestamp), b, time.Now(), 0)}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(recv.Close)
	roots := x509.NewCertPool()
	roots.AddCert(recv.Certificate())

	cfg := testConfig(t, map[string]string{"DECNET_WEBHOOK_ALLOW_PRIVATE": "true"})
	a, err := New(cfg, Options{Out: &syncBuffer{}, NoDemo: true})
	if err != nil {
		t.Fatal(err)
	}
	a.webhookTLS = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := a.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})

	ctx := t.Context()
	sub, err := a.Store().CreateWebhook(ctx, model.WebhookSubscription{
		Name: "local-siem", URL: recv.URL + "/hook", Secret: secret, Topics: []string{"decky.*.state"}, Enabled: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	// The API publishes this after every change; the app reloads on it.
	if err := a.Bus().Publish(ctx, bus.SystemWebhookSubscriptionsChanged, "subscriptions_changed",
		map[string]string{"uuid": sub.UUID}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, ok := a.webhooks.Stats(sub.UUID); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the subscription was not loaded after subscriptions_changed")
		}
		time.Sleep(20 * time.Millisecond)
	}

	if err := a.Bus().Publish(ctx, "decky.web-01.other", "state", map[string]string{"state": "x"}); err != nil {
		t.Fatal(err)
	}
	if err := a.Bus().Publish(ctx, "decky.web-01.state", "state", map[string]string{"state": "running"}); err != nil {
		t.Fatal(err)
	}
	select {
	case d := <-got:
		if d.verified != nil {
			t.Errorf("signature does not verify over %s: %v", d.body, d.verified)
		}
		if d.topic != "decky.web-01.state" || !strings.Contains(d.body, `"payload":{"state":"running"}`) {
			t.Errorf("delivered topic %q body %s", d.topic, d.body)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the receiver got nothing")
	}

	// The outcome is booked on the row.
	for {
		w, err := a.Store().GetWebhook(ctx, sub.UUID)
		if err != nil {
			t.Fatal(err)
		}
		if !w.LastSuccessAt.IsZero() {
			if w.ConsecutiveFailures != 0 || w.LastError != "" {
				t.Errorf("after success: %+v", w)
			}
			break
		}
		if time.Now().After(deadline.Add(10 * time.Second)) {
			t.Fatal("last_success_at was never set")
		}
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case d := <-got:
		t.Errorf("unsubscribed topic delivered: %q", d.topic)
	default:
	}
}

func TestWebhookFailingPastTheThresholdIsAutoDisabled(t *testing.T) {
	recv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest) // terminal: no retries
	}))
	t.Cleanup(recv.Close)
	roots := x509.NewCertPool()
	roots.AddCert(recv.Certificate())
	cfg := testConfig(t, map[string]string{"DECNET_WEBHOOK_ALLOW_PRIVATE": "true",
		"DECNET_WEBHOOK_CIRCUIT_THRESHOLD": "2"})
	a, err := New(cfg, Options{Out: &syncBuffer{}, NoDemo: true})
	if err != nil {
		t.Fatal(err)
	}
	a.webhookTLS = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := a.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	ctx := t.Context()
	sub, err := a.Store().CreateWebhook(ctx, model.WebhookSubscription{
		Name: "broken", URL: recv.URL, Secret: "broken-secret-0123456789", Topics: []string{"system.test.>"},
		Enabled: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Bus().Publish(ctx, bus.SystemWebhookSubscriptionsChanged, "subscriptions_changed", nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, ok := a.webhooks.Stats(sub.UUID); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the subscription was not loaded")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for i := 0; i < 3; i++ {
		if err := a.Bus().Publish(ctx, "system.test.ping", "test", map[string]int{"n": i}); err != nil {
			t.Fatal(err)
		}
	}
	for {
		w, err := a.Store().GetWebhook(ctx, sub.UUID)
		if err != nil {
			t.Fatal(err)
		}
		if !w.Enabled {
			if w.AutoDisabledAt.IsZero() || w.ConsecutiveFailures < 2 || !strings.Contains(w.LastError, "400") {
				t.Errorf("auto-disabled row: %+v", w)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never auto-disabled: %+v", w)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
