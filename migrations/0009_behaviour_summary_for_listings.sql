-- The HR listing of 10,000 employees in well under a second (issue #5).
--
-- SPEC §3.3 takes each rater's latest rating per (employee, period, item). Computing that from the
-- records table for a whole listing means sorting every rating ever made (560,000 rows for the
-- benchmark) on every request. Two derived tables, kept by triggers on behaviour_ratings in the
-- same transaction as every write (so never stale, whoever writes the records table), do that
-- work once per write instead:
--   behaviour_latest   each rater's latest rating per (employee, period, item), with the level it
--                      was made against (eff_level: rated_level, or the level required of the
--                      employee at rated_at; '' when no level was required then);
--   behaviour_summary  those latest ratings counted and summed per (employee, period, item,
--                      eff_level) and relation, with the newest rated_at among them.
-- The profile's rules stay in SQL: the listing keeps the summary rows whose eff_level is the level
-- required at T and weights the per-relation sums with the weights in force at T. A group whose
-- newest latest rating is after T (a listing "as of" an earlier time) cannot use the summary; such
-- employees are computed by examd_profile_data (migration 0006), the reference the single profile
-- uses. Grade and model changes re-derive eff_level for the ratings they can affect.
--
-- Writers in READ COMMITTED (the default) are exact under concurrency: each refresh takes an
-- advisory lock per employee and then reads committed data afresh. A REPEATABLE READ writer racing
-- another writer for the same employee gets a serialization failure to retry, never a wrong sum.
-- A bulk load that disables triggers (session_replication_role = replica) must call
-- examd_behaviour_rebuild() afterwards (README, records table).

CREATE TABLE behaviour_latest (
    employee    text        NOT NULL,
    period      text        NOT NULL,
    item        text        NOT NULL,
    rater       text        NOT NULL,
    rating_id   bigint      NOT NULL,
    rated_at    timestamptz NOT NULL,
    score       smallint    NOT NULL,
    relation    text        NOT NULL,
    rated_level text        NULL,
    eff_level   text        NOT NULL,
    PRIMARY KEY (employee, period, item, rater)
);

CREATE TABLE behaviour_summary (
    employee      text        NOT NULL,
    period        text        NOT NULL,
    item          text        NOT NULL,
    eff_level     text        NOT NULL,
    n_self        int NOT NULL, s_self        int NOT NULL,
    n_supervisor  int NOT NULL, s_supervisor  int NOT NULL,
    n_peer        int NOT NULL, s_peer        int NOT NULL,
    n_subordinate int NOT NULL, s_subordinate int NOT NULL,
    n_customer    int NOT NULL, s_customer    int NOT NULL,
    n_hr          int NOT NULL, s_hr          int NOT NULL,
    last_at       timestamptz NOT NULL,
    PRIMARY KEY (employee, period, item, eff_level)
);
CREATE INDEX behaviour_summary_last ON behaviour_summary (last_at);

-- An employee's latest rating in one index probe (the listing's default period).
DROP INDEX IF EXISTS behaviour_ratings_recent;
CREATE INDEX behaviour_ratings_recent ON behaviour_ratings (employee, rated_at DESC, id DESC);

-- (A data move that called functions of this migration ran here; databases migrated
-- before the functions moved to migrations/functions/ have run it. See migrations/README.md.)

-- The functions and triggers this migration created or replaced now live in
-- migrations/functions/ (moved 2026-12-02, after efaa608).
