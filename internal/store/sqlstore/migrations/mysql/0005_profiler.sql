-- 0005_profiler: the profiler worker's per-address state (profiler_state).
--
-- Mirrored by migrations/sqlite/0005_profiler.sql (see the notes there);
-- the conventions of 0001_foundation.sql apply (DATETIME(6) in UTC,
-- utf8mb4_bin, one CREATE TABLE IF NOT EXISTS with its indexes inline, ';' at
-- the end of each statement's last line).
-- * state is MEDIUMTEXT: the aggregates are bounded (profiler.Max*) but a
--   full command list exceeds TEXT's 64 KiB.
CREATE TABLE IF NOT EXISTS profiler_state (
    ip         VARCHAR(64) NOT NULL,
    state      MEDIUMTEXT NOT NULL,
    last_seq   BIGINT UNSIGNED NOT NULL DEFAULT 0,
    updated_at DATETIME(6) NOT NULL,
    PRIMARY KEY (ip)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The profiler's interaction classes (pipeline.md §3.7): the services the
-- attacker interacted with and those it only scanned, JSON lists.
ALTER TABLE attacker_behavior ADD COLUMN interacted_services TEXT;
ALTER TABLE attacker_behavior ADD COLUMN scanned_services TEXT;
