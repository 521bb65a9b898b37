-- Each rater's latest rating in a period, read in index order.
DROP INDEX IF EXISTS behaviour_ratings_lookup;
CREATE INDEX IF NOT EXISTS behaviour_ratings_latest ON behaviour_ratings (employee, period, item, rater, rated_at DESC, id DESC);

-- The functions and triggers this migration created or replaced now live in
-- migrations/functions/ (moved 2026-12-02, after efaa608).
