-- Question banks and blueprints as functions, so that each import or change is one statement:
-- all or nothing, serialised, with its audit entry.

-- A single active question per external_id is already enforced by questions_external_active.

-- The functions and triggers this migration created or replaced now live in
-- migrations/functions/ (moved 2026-12-02, after efaa608).
