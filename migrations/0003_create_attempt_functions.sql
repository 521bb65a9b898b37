-- Timed exams: starting (draw + shuffle + snapshot), saving answers, scoring hand-off and
-- closing, the attempt document, the counted result per grading method, and the exam list.

-- Every save bumps answers_version under the attempt's row lock; closing requires the version
-- that was scored, so an answer acknowledged before the close is always in the score.
ALTER TABLE attempts ADD COLUMN answers_version bigint NOT NULL DEFAULT 0;

-- The functions and triggers this migration created or replaced now live in
-- migrations/functions/ (moved 2026-12-02, after efaa608).
