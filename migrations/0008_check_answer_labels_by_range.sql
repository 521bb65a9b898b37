-- A cheaper answer save (tests/bench/notes-autosave-profile.txt): the option labels are checked
-- by range instead of being built with generate_series on every save. Same rules as 0005.

-- The functions and triggers this migration created or replaced now live in
-- migrations/functions/ (moved 2026-12-02, after efaa608).
