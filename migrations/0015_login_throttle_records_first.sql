-- The login throttle records before it verifies: one statement takes a per-username and a
-- per-address lock, counts the failures of the window and records this attempt as a failure in
-- the same transaction, so concurrent guesses see each other. A successful login deletes the
-- username's failures (as before); a refused one stays recorded with counted = false, so that it
-- is in the record but does not extend the lock-out.
ALTER TABLE login_failures ADD COLUMN counted boolean NOT NULL DEFAULT true;

-- The functions and triggers this migration created or replaced now live in
-- migrations/functions/ (moved 2026-12-02, after efaa608).
