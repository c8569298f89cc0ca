-- 0004_webhooks: outbound webhook subscriptions (webhook_subscriptions)
-- and their delivery bookkeeping, maintained by the webhook dispatcher.
--
-- Mirrored by migrations/mysql/0004_webhooks.sql; the conventions of
-- 0001_foundation.sql apply (TEXT timestamps in UTC, JSON as TEXT, STRICT,
-- ';' at the end of each statement's last line).
-- * secret is the HMAC key in plaintext: the receiver must hold it too;
-- * topic_patterns is the JSON list of bus patterns, in order;
-- * last_error is cut to 1000 bytes by the store;
-- * auto_disabled_at is set when the circuit breaker disables the row and
--   cleared when an operator re-enables it.
CREATE TABLE IF NOT EXISTS webhook_subscriptions (
    uuid                 TEXT NOT NULL PRIMARY KEY,
    name                 TEXT NOT NULL,
    url                  TEXT NOT NULL,
    secret               TEXT NOT NULL,
    topic_patterns       TEXT NOT NULL,
    enabled              INTEGER NOT NULL DEFAULT 1,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    last_success_at      TEXT,
    last_failure_at      TEXT,
    last_error           TEXT,
    auto_disabled_at     TEXT,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX IF NOT EXISTS uq_webhook_subscriptions_name ON webhook_subscriptions (name);
CREATE INDEX IF NOT EXISTS ix_webhook_subscriptions_enabled ON webhook_subscriptions (enabled);
