-- 0005_profiler: the profiler worker's per-address state (profiler_state).
--
-- Mirrored by migrations/mysql/0005_profiler.sql; the conventions of
-- 0001_foundation.sql apply (TEXT timestamps in UTC, JSON as TEXT, STRICT,
-- ';' at the end of each statement's last line).
-- * state is the JSON of the profiler's incremental aggregates for one
--   source address (profiler.Accumulator plus the worker's bookkeeping), so
--   a restarted profiler resumes instead of rebuilding from partial history
--   (the original's QUIRK 4);
-- * last_seq is the stream sequence of the newest event folded in: a
--   redelivered event at or below it is skipped, so a crash between commit
--   and ack never counts an event twice;
-- * the row is written in the same transaction as the attackers row.
CREATE TABLE IF NOT EXISTS profiler_state (
    ip         TEXT NOT NULL PRIMARY KEY,
    state      TEXT NOT NULL,
    last_seq   INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
) STRICT;

-- The profiler's interaction classes (pipeline.md §3.7): the services the
-- attacker interacted with and those it only scanned, JSON lists.
ALTER TABLE attacker_behavior ADD COLUMN interacted_services TEXT;
ALTER TABLE attacker_behavior ADD COLUMN scanned_services TEXT;
