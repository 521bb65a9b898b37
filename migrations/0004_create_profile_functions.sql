-- Combined profiles (SPEC §3.2-§3.4), behaviour-rating imports and model versions (§2.1).

-- The functions and triggers this migration created or replaced now live in
-- migrations/functions/ (moved 2026-12-02, after efaa608).
