-- 0008_lifecycle: asynchronous fleet operations (decky_lifecycle, api_db.md
-- §1.6): a row per deploy, mutation, teardown or live service edit of one
-- decky, created pending by the API and completed by the fleet runtime.
--
-- Mirrored by migrations/mysql/0008_lifecycle.sql; the conventions of
-- 0001_foundation.sql apply (TEXT timestamps in UTC, STRICT, ';' at the end
-- of each statement's last line).
-- * id is a UUID chosen by the store;
-- * no foreign key to fleet_deckies: a teardown row outlives its decky;
-- * error is cut to 2000 bytes by the store;
-- * completed_at is set once, when the row becomes succeeded or failed.
CREATE TABLE IF NOT EXISTS decky_lifecycle (
    id           TEXT NOT NULL PRIMARY KEY,
    decky_name   TEXT NOT NULL,
    host_uuid    TEXT NOT NULL,
    operation    TEXT NOT NULL
                 CHECK (operation IN ('deploy', 'mutate', 'teardown', 'service')),
    status       TEXT NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'running', 'succeeded', 'failed')),
    error        TEXT,
    started_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    completed_at TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS ix_decky_lifecycle_decky_name ON decky_lifecycle (decky_name);
CREATE INDEX IF NOT EXISTS ix_decky_lifecycle_host_status ON decky_lifecycle (host_uuid, status);
CREATE INDEX IF NOT EXISTS ix_decky_lifecycle_operation ON decky_lifecycle (operation);
