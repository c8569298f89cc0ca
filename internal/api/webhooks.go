package api

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/decnet/decnet/internal/api/middleware"
	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
	"github.com/decnet/decnet/internal/webhook"
)

// Webhook create rate limit, per admin (api_db.md: 20/minute).
const (
	webhookCreateAttempts = 20
	webhookCreateWindow   = time.Minute
)

// WebhookDeliverer is what the webhook routes need of a
// webhook.Dispatcher: the SSRF check of a URL at create time and one-shot
// test deliveries.
type WebhookDeliverer interface {
	CheckURL(ctx context.Context, raw string) error
	TestFire(ctx context.Context, sub webhook.Subscription, triggeredBy string) webhook.Result
}

// Publisher sends bus notifications; *bus.Bus implements it.
type Publisher interface {
	Publish(ctx context.Context, topic, typ string, payload any) error
}

// webhookCreateRequest is the body of POST /webhooks. Topics are the
// simple_events expanded first, then topic_patterns, deduplicated in order.
type webhookCreateRequest struct {
	Name          string   `json:"name"`
	URL           string   `json:"url"`
	Secret        *string  `json:"secret"`
	SimpleEvents  []string `json:"simple_events"`
	TopicPatterns []string `json:"topic_patterns"`
	Enabled       *bool    `json:"enabled"`
}

// webhookPatchRequest is the body of PATCH /webhooks/{uuid}: absent fields
// are kept. Sending simple_events or topic_patterns replaces the topic list
// with the expansion of those sent.
type webhookPatchRequest struct {
	Name          *string   `json:"name"`
	URL           *string   `json:"url"`
	Secret        *string   `json:"secret"`
	SimpleEvents  *[]string `json:"simple_events"`
	TopicPatterns *[]string `json:"topic_patterns"`
	Enabled       *bool     `json:"enabled"`
}

// webhookResponse is a subscription as the API shows it. Secret is the
// plaintext only in the create response; everywhere else it is masked.
type webhookResponse struct {
	UUID                string     `json:"uuid"`
	Name                string     `json:"name"`
	URL                 string     `json:"url"`
	Secret              string     `json:"secret"`
	TopicPatterns       []string   `json:"topic_patterns"`
	Enabled             bool       `json:"enabled"`
	ConsecutiveFailures int        `json:"consecutive_failures"`
	LastSuccessAt       *time.Time `json:"last_success_at"`
	LastFailureAt       *time.Time `json:"last_failure_at"`
	LastError           *string    `json:"last_error"`
	AutoDisabledAt      *time.Time `json:"auto_disabled_at"`
	CreatedAt           time.Time  `json:"created_at"`
	UpdatedAt           time.Time  `json:"updated_at"`
	Warnings            []string   `json:"warnings"`
}

// webhookTestResponse is the outcome of POST /webhooks/{uuid}/test.
type webhookTestResponse struct {
	Delivered  bool    `json:"delivered"`
	StatusCode *int    `json:"status_code,omitempty"`
	Error      *string `json:"error,omitempty"`
	Attempts   int     `json:"attempts"`
	Blocked    bool    `json:"blocked"`
}

// maskSecret hides a secret but for its last four characters, enough for
// an operator to tell two apart.
func maskSecret(s string) string {
	if len(s) < webhook.MinSecretLen {
		return "********"
	}
	return "********" + s[len(s)-4:]
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func toWebhookResponse(w model.WebhookSubscription, showSecret bool) webhookResponse {
	r := webhookResponse{
		UUID: w.UUID, Name: w.Name, URL: w.URL, Secret: maskSecret(w.Secret), TopicPatterns: w.Topics,
		Enabled: w.Enabled, ConsecutiveFailures: w.ConsecutiveFailures, LastSuccessAt: optTime(w.LastSuccessAt),
		LastFailureAt: optTime(w.LastFailureAt), AutoDisabledAt: optTime(w.AutoDisabledAt),
		CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt, Warnings: []string{},
	}
	if showSecret {
		r.Secret = w.Secret
	}
	if r.TopicPatterns == nil {
		r.TopicPatterns = []string{}
	}
	if w.LastError != "" {
		r.LastError = &w.LastError
	}
	if strings.HasPrefix(strings.ToLower(w.URL), "http://") {
		r.Warnings = append(r.Warnings, "insecure_url: events and their signature travel in clear text; use https")
	}
	return r
}

func toSubscription(w model.WebhookSubscription) webhook.Subscription {
	return webhook.Subscription{ID: w.UUID, Name: w.Name, URL: w.URL, Secret: w.Secret, Topics: w.Topics,
		Enabled: w.Enabled}
}

// newWebhookSecret is the default secret: 32 random bytes, URL-safe
// base64 without padding (Python's token_urlsafe(32)).
func newWebhookSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// invalidWebhook turns a webhook validation error into a 422 whose detail
// says what is wrong.
func invalidWebhook(err error) *httpError {
	msg := err.Error()
	if i := strings.LastIndex(msg, webhook.ErrInvalid.Error()+": "); i >= 0 {
		msg = msg[i+len(webhook.ErrInvalid.Error())+2:]
	}
	return newError(http.StatusUnprocessableEntity, "Invalid webhook: "+msg, err)
}

// webhookStoreError gives store errors of the webhook routes their detail.
func webhookStoreError(err error, name string) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return newError(http.StatusNotFound, "Webhook not found", err)
	case errors.Is(err, store.ErrConflict):
		return newError(http.StatusConflict, fmt.Sprintf("Webhook name %q already exists", name), err)
	}
	return err
}

var errNoTopics = newError(http.StatusBadRequest,
	"Bad Request: at least one of simple_events or topic_patterns is required", nil)

// checkWebhook validates w and, when checkURL, refuses a URL the SSRF guard
// would refuse at delivery.
func (s *Server) checkWebhook(ctx context.Context, w model.WebhookSubscription, checkURL bool) error {
	if len(w.Topics) == 0 {
		return errNoTopics
	}
	if err := toSubscription(w).Validate(); err != nil {
		return invalidWebhook(err)
	}
	if !checkURL {
		return nil
	}
	if err := s.webhookDeliverer.CheckURL(ctx, w.URL); err != nil {
		if errors.Is(err, webhook.ErrInvalid) {
			return invalidWebhook(err)
		}
		detail := "Webhook URL refused: " + strings.TrimPrefix(err.Error(), "webhook: ")
		if errors.Is(err, webhook.ErrBlocked) {
			detail += " (private, loopback, link-local, multicast and reserved addresses are refused " +
				"unless DECNET_WEBHOOK_ALLOW_PRIVATE=true)"
		}
		return newError(http.StatusUnprocessableEntity, detail, err)
	}
	return nil
}

// webhooksConfigured refuses the webhook routes of a server started without
// a webhook store and dispatcher.
func (s *Server) webhooksConfigured() error {
	if s.webhooks == nil || s.webhookDeliverer == nil {
		return newError(http.StatusServiceUnavailable, "Webhooks are not configured", nil)
	}
	return nil
}

// webhooksChanged tells the dispatcher to reload. A failure is logged, not
// returned: the change is stored and the periodic reload picks it up.
func (s *Server) webhooksChanged(ctx context.Context, id, action string) {
	if s.publisher == nil {
		return
	}
	if err := s.publisher.Publish(context.WithoutCancel(ctx), bus.SystemWebhookSubscriptionsChanged,
		"subscriptions_changed", map[string]string{"uuid": id, "action": action}); err != nil {
		s.log.Warn("webhook: publish subscriptions_changed failed", "uuid", id, "err", err)
	}
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	if err := s.webhooksConfigured(); err != nil {
		return err
	}
	subs, err := s.webhooks.ListWebhooks(r.Context(), false)
	if err != nil {
		return err
	}
	out := make([]webhookResponse, 0, len(subs))
	for _, sub := range subs {
		out = append(out, toWebhookResponse(sub, false))
	}
	middleware.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := s.webhooksConfigured(); err != nil {
		return err
	}
	p, _ := principalFrom(r.Context())
	if err := allow(s.webhookCreate, p.user.UUID); err != nil {
		return err
	}
	var body webhookCreateRequest
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	topics, err := webhook.ExpandShortcuts(body.SimpleEvents, body.TopicPatterns)
	if err != nil {
		return invalidWebhook(err)
	}
	sub := model.WebhookSubscription{Name: body.Name, URL: body.URL, Topics: topics, Enabled: true}
	if body.Enabled != nil {
		sub.Enabled = *body.Enabled
	}
	if body.Secret != nil {
		sub.Secret = *body.Secret
	} else if sub.Secret, err = newWebhookSecret(); err != nil {
		return err
	}
	if err := s.checkWebhook(r.Context(), sub, true); err != nil {
		return err
	}
	sub, err = s.webhooks.CreateWebhook(r.Context(), sub)
	if err != nil {
		return webhookStoreError(err, body.Name)
	}
	s.webhooksChanged(r.Context(), sub.UUID, "created")
	middleware.WriteJSON(w, http.StatusCreated, toWebhookResponse(sub, true))
	return nil
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := s.webhooksConfigured(); err != nil {
		return err
	}
	sub, err := s.webhooks.GetWebhook(r.Context(), r.PathValue("uuid"))
	if err != nil {
		return webhookStoreError(err, "")
	}
	middleware.WriteJSON(w, http.StatusOK, toWebhookResponse(sub, false))
	return nil
}

func (s *Server) patchWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := s.webhooksConfigured(); err != nil {
		return err
	}
	var body webhookPatchRequest
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	sub, err := s.webhooks.GetWebhook(r.Context(), r.PathValue("uuid"))
	if err != nil {
		return webhookStoreError(err, "")
	}
	urlChanged := body.URL != nil && *body.URL != sub.URL
	if body.Name != nil {
		sub.Name = *body.Name
	}
	if body.URL != nil {
		sub.URL = *body.URL
	}
	if body.Secret != nil {
		sub.Secret = *body.Secret
	}
	if body.SimpleEvents != nil || body.TopicPatterns != nil {
		var events, patterns []string
		if body.SimpleEvents != nil {
			events = *body.SimpleEvents
		}
		if body.TopicPatterns != nil {
			patterns = *body.TopicPatterns
		}
		if sub.Topics, err = webhook.ExpandShortcuts(events, patterns); err != nil {
			return invalidWebhook(err)
		}
	}
	if body.Enabled != nil {
		sub.Enabled = *body.Enabled
	}
	if err := s.checkWebhook(r.Context(), sub, urlChanged); err != nil {
		return err
	}
	sub, err = s.webhooks.UpdateWebhook(r.Context(), sub)
	if err != nil {
		return webhookStoreError(err, sub.Name)
	}
	s.webhooksChanged(r.Context(), sub.UUID, "updated")
	middleware.WriteJSON(w, http.StatusOK, toWebhookResponse(sub, false))
	return nil
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := s.webhooksConfigured(); err != nil {
		return err
	}
	id := r.PathValue("uuid")
	if err := s.webhooks.DeleteWebhook(r.Context(), id); err != nil {
		return webhookStoreError(err, "")
	}
	s.webhooksChanged(r.Context(), id, "deleted")
	middleware.WriteJSON(w, http.StatusOK, messageResponse{Message: "Webhook deleted"})
	return nil
}

func (s *Server) testWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := s.webhooksConfigured(); err != nil {
		return err
	}
	sub, err := s.webhooks.GetWebhook(r.Context(), r.PathValue("uuid"))
	if err != nil {
		return webhookStoreError(err, "")
	}
	p, _ := principalFrom(r.Context())
	res := s.webhookDeliverer.TestFire(r.Context(), toSubscription(sub), p.user.Username)
	out := webhookTestResponse{Delivered: res.Delivered, Attempts: res.Attempts, Blocked: res.Blocked}
	if res.Status != 0 {
		out.StatusCode = &res.Status
	}
	if res.Err != nil {
		msg := res.Err.Error()
		out.Error = &msg
	}
	middleware.WriteJSON(w, http.StatusOK, out)
	return nil
}
