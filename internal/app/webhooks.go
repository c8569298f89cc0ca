package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/webhook"
)

// webhookReloadInterval is the poll fallback of the subscription reload,
// for changes whose subscriptions_changed notification was lost.
const webhookReloadInterval = 60 * time.Second

// startWebhooks runs the webhook dispatcher: every bus notification is
// matched against the stored subscriptions and POSTed, signed, to their
// receivers. Subscriptions are loaded now, on
// system.webhook.subscriptions_changed and every minute; each event's
// outcome is booked on its row, and a subscription whose consecutive
// failures reach DECNET_WEBHOOK_CIRCUIT_THRESHOLD is disabled until an
// operator re-enables it. The dispatcher closes when ctx ends.
func (a *App) startWebhooks(ctx context.Context) error {
	log := a.log.With("part", "webhook")
	st := a.store
	threshold := a.cfg.WebhookCircuitThreshold
	kick := make(chan struct{}, 1)
	reload := func() {
		select {
		case kick <- struct{}{}:
		default:
		}
	}
	disable := func(id, why string) {
		if err := st.DisableWebhook(context.WithoutCancel(ctx), id, true); err != nil {
			log.Warn("webhook: auto-disable failed", "subscription", id, "err", err)
			return
		}
		log.Warn("webhook: subscription disabled by its circuit breaker", "subscription", id, "reason", why)
		reload()
	}
	var d *webhook.Dispatcher
	d = webhook.New(webhook.Options{
		AllowPrivate:     a.cfg.WebhookAllowPrivate,
		BreakerThreshold: threshold,
		TLSConfig:        a.webhookTLS,
		Logger:           log,
		OnResult: func(sub webhook.Subscription, _ bus.Envelope, r webhook.Result) {
			if r.Skipped {
				return
			}
			msg := ""
			if !r.Delivered {
				msg = "delivery failed"
				if r.Err != nil {
					msg = r.Err.Error()
				}
			}
			n, err := st.RecordWebhookResult(context.WithoutCancel(ctx), sub.ID, r.Delivered, msg)
			if err != nil {
				log.Warn("webhook: recording a delivery result failed", "subscription", sub.ID, "err", err)
				return
			}
			// The stored count survives restarts, which reset the breaker;
			// an open breaker has already called OnTrip.
			if !r.Delivered && n >= threshold && d.Breaker(sub.ID).State() != webhook.Open {
				disable(sub.ID, fmt.Sprintf("%d consecutive failed events", n))
			}
		},
		OnTrip: func(id string) { disable(id, "breaker opened") },
	})
	a.webhooks = d

	load := func() {
		rows, err := st.ListWebhooks(ctx, false)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("webhook: loading subscriptions failed", "err", err)
			}
			return
		}
		subs := make([]webhook.Subscription, len(rows))
		for i, w := range rows {
			subs[i] = webhook.Subscription{ID: w.UUID, Name: w.Name, URL: w.URL, Secret: w.Secret, Topics: w.Topics,
				Enabled: w.Enabled}
		}
		if err := d.SetSubscriptions(subs); err != nil && ctx.Err() == nil {
			log.Warn("webhook: some subscriptions were not loaded", "err", err)
		}
	}
	load()

	changed, err := a.bus.Subscribe(bus.SystemWebhookSubscriptionsChanged, "", func(bus.Envelope) { reload() })
	if err != nil {
		d.Close()
		return fmt.Errorf("bus: subscribe to %s: %v", bus.SystemWebhookSubscriptionsChanged, err)
	}
	if err := d.Start(webhook.BusSource(a.bus)); err != nil {
		_ = changed.Unsubscribe()
		d.Close()
		return fmt.Errorf("bus: %v", err)
	}
	a.goRun(func() {
		t := time.NewTicker(webhookReloadInterval)
		defer t.Stop()
		defer func() {
			if err := errors.Join(changed.Unsubscribe(), d.Close()); err != nil {
				log.Debug("webhook: close", "err", err)
			}
		}()
		for {
			select {
			case <-ctx.Done():
				return
			case <-kick:
			case <-t.C:
			}
			load()
		}
	})
	a.goRun(func() { a.bus.RunHeartbeat(ctx, "webhook", heartbeatInterval, nil) })
	return nil
}
