-- 0004_webhooks: outbound webhook subscriptions (webhook_subscriptions)
-- and their delivery bookkeeping, maintained by the webhook dispatcher.
--
-- Mirrored by migrations/sqlite/0004_webhooks.sql (see the notes there);
-- the conventions of 0001_foundation.sql apply (DATETIME(6) in UTC,
-- utf8mb4_bin, one CREATE TABLE IF NOT EXISTS with its indexes inline, ';' at
-- the end of each statement's last line).
-- * url is TEXT: receivers' URLs are not bounded by the API beyond
--   validity, and the column is not indexed.
CREATE TABLE IF NOT EXISTS webhook_subscriptions (
    uuid                 VARCHAR(36) NOT NULL,
    name                 VARCHAR(64) NOT NULL,
    url                  TEXT NOT NULL,
    secret               VARCHAR(256) NOT NULL,
    topic_patterns       TEXT NOT NULL,
    enabled              BOOLEAN NOT NULL DEFAULT TRUE,
    consecutive_failures INT NOT NULL DEFAULT 0,
    last_success_at      DATETIME(6) NULL,
    last_failure_at      DATETIME(6) NULL,
    last_error           VARCHAR(1000) NULL,
    auto_disabled_at     DATETIME(6) NULL,
    created_at           DATETIME(6) NOT NULL,
    updated_at           DATETIME(6) NOT NULL,
    PRIMARY KEY (uuid),
    UNIQUE KEY uq_webhook_subscriptions_name (name),
    KEY ix_webhook_subscriptions_enabled (enabled)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
