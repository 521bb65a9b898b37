-- Item statistics (issue #16, SPEC §4.6a). A close writes one compact row per attempt,
-- attempt_cells, so that the statistics of a blueprint read 20,000 short rows instead of
-- 800,000 snapshot rows with their stems and options; the statistics themselves are computed
-- in examd (domain/itemstats.c) on the offload pool. blueprint_sem keeps each blueprint's
-- reliability and SEM, refreshed by examd in the background after closes, so that results and
-- profiles read a number instead of computing statistics.

-- One closed attempt for the statistics: its standard score and, per question in the order
-- shown, "question_id:earned:possible:chosen" joined by ';' (chosen in bank labels, may be empty).
CREATE TABLE attempt_cells (
    attempt_id     bigint PRIMARY KEY,
    seq            bigserial NOT NULL,
    item           text NOT NULL,
    level          text NOT NULL,
    username       text NOT NULL,
    started_at     timestamptz NOT NULL,
    standard_score numeric(5, 2) NOT NULL,
    cells          text NOT NULL
);
CREATE INDEX attempt_cells_blueprint ON attempt_cells (item, level, username, started_at);
CREATE INDEX attempt_cells_seq ON attempt_cells (item, level, seq);

-- (A data move that called functions of this migration ran here; databases migrated
-- before the functions moved to migrations/functions/ have run it. See migrations/README.md.)

-- Each blueprint's reliability and SEM from each employee's first closed attempt, written by
-- examd's background refresher; cells_count and cells_max say which closes it covers.
CREATE TABLE blueprint_sem (
    item        text NOT NULL,
    level       text NOT NULL,
    attempts    int NOT NULL,
    mean        double precision,
    sd          double precision,
    alpha       double precision,
    sem         double precision,
    cells_count bigint NOT NULL,
    cells_max   bigint NOT NULL,
    computed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (item, level)
);

-- The functions and triggers this migration created or replaced now live in
-- migrations/functions/ (moved 2026-12-02, after efaa608).
