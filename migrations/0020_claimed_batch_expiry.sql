-- Mass expiry (issue #17): thousands of attempts reach deadline + grace in the same second when a
-- session's window closes. Until now every process fetched the same 100 due attempts
-- (examd_attempts_due) and closed them one at a time, so a second process repeated the first one's
-- work and 100 attempts that could not be closed blocked the queue. Now:
--   - due attempts are claimed: examd_attempts_claim locks a batch of due, unclaimed rows with
--     FOR UPDATE SKIP LOCKED and stamps a lease on them (close_after = now() + lease, close_owner),
--     so processes take disjoint batches; a process killed mid-close leaves its claims to the
--     others when the lease runs out. The claim returns each attempt's scoring input, so one
--     round trip claims and reads.
--   - examd scores the batch with the exact C scorer and closes it with one statement,
--     examd_attempt_close_batch: each attempt goes through examd_attempt_close (advisory lock
--     ordering against saves, digest check, conditional status change), so every guarantee of one
--     close holds, and an attempt still closes exactly once whichever process reaches it.
--   - an attempt that cannot be closed is parked (close_failures + 1, close_after pushed back by
--     5 s doubling up to 5 min), so it never holds the head of the queue.
-- The lease and the parking only decide who tries when; whether an attempt closes is still
-- decided under its lock by examd_attempt_close.

ALTER TABLE attempts ADD COLUMN close_after timestamptz,
                     ADD COLUMN close_owner text,
                     ADD COLUMN close_failures int NOT NULL DEFAULT 0;
-- Room on each page for the claim's new row version: close_after and close_owner are in no index,
-- so with free space on the page the claim is a HOT update (no index entries, less WAL). New pages
-- only; the close itself changes the status, which partial indexes name, so it is never HOT.
ALTER TABLE attempts SET (fillfactor = 85);

-- Statistics bookkeeping leaves the close's path. A close wrote its attempt_cells row in the close's
-- own transaction (migration 0017), about 3 ms of PostgreSQL per 40-question attempt (each chosen
-- option is mapped back to the bank's order through the option texts): 20,000 closes at one
-- deadline spent a minute on it. The trigger now only queues the attempt; the cells are written
-- set-wise by examd_attempt_cells_flush, which the auto-submitter runs when nothing is due and
-- every statistics read runs first for its blueprint (so a read still sees every close).
CREATE TABLE attempt_cells_pending (
    attempt_id bigint PRIMARY KEY,
    item       text NOT NULL,
    level      text NOT NULL
);
CREATE INDEX attempt_cells_pending_blueprint ON attempt_cells_pending (item, level);

-- The functions and triggers this migration created or replaced now live in
-- migrations/functions/ (moved 2026-12-02, after efaa608).
