-- The autosave in one round trip: the session check and the save in one statement
-- (examd_answer_save_session), instead of one statement for the session and one for the save.

-- The functions and triggers this migration created or replaced now live in
-- migrations/functions/ (moved 2026-12-02, after efaa608).
