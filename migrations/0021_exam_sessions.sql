-- Exam sessions (考试安排, issue #17): a scheduled window in which a cohort (departments, grades,
-- named employees) takes one or more exams; personal overrides (extra time, extra attempts, a later
-- window) with a reason; a live roster; proctor close-early and void; practice attempts that never
-- count; results hidden until the window closes when the session says so.
--
-- Attempt kinds (attempts.mode): 'exam' (POST /attempts, SPEC §4.4, counts as before), 'session'
-- (started in a session; counts like an exam attempt) and 'practice' (POST /attempts with
-- "practice": true; never counts). A closed practice attempt keeps status 'practice' in the table
-- (its result says submitted or auto_submitted): every reader of the counting rule takes
-- status IN ('submitted', 'auto_submitted'), so practice, like a voided attempt (status 'voided'),
-- can never count, in any profile, listing or export, without a second copy of the rule.

ALTER TABLE attempts DROP CONSTRAINT attempts_status_check;
ALTER TABLE attempts ADD CONSTRAINT attempts_status_check
    CHECK (status IN ('open', 'submitted', 'auto_submitted', 'practice', 'voided'));
ALTER TABLE attempts ADD COLUMN mode text NOT NULL DEFAULT 'exam' CHECK (mode IN ('exam', 'session', 'practice')),
                     ADD COLUMN session_id bigint,
                     ADD COLUMN voided_at timestamptz,
                     ADD COLUMN voided_by text,
                     ADD COLUMN void_reason text;
CREATE INDEX attempts_session ON attempts (session_id, username) WHERE session_id IS NOT NULL;

ALTER TABLE blueprints ADD COLUMN practice_allowed boolean NOT NULL DEFAULT true;

CREATE TABLE exam_sessions (
    id                  bigserial PRIMARY KEY,
    title               text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    opens_at            timestamptz NOT NULL,
    closes_at           timestamptz NOT NULL,
    time_limit_seconds  int CHECK (time_limit_seconds BETWEEN 60 AND 86400), -- NULL: the blueprint's
    attempts_allowed    int NOT NULL DEFAULT 1 CHECK (attempts_allowed BETWEEN 1 AND 100),
    results             text NOT NULL DEFAULT 'at_submit' CHECK (results IN ('at_submit', 'after_close')),
    departments         text[] NOT NULL DEFAULT '{}',
    grades              int[] NOT NULL DEFAULT '{}',
    usernames           text[] NOT NULL DEFAULT '{}',
    created_by          text NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    CHECK (closes_at > opens_at)
);

CREATE TABLE exam_session_items (
    session_id bigint NOT NULL REFERENCES exam_sessions (id) ON DELETE CASCADE,
    position   int NOT NULL,
    item       text NOT NULL CHECK (item IN ('general_knowledge', 'professional_knowledge', 'job_knowledge', 'job_skills')),
    level      text CHECK (level IN ('junior', 'intermediate', 'senior', 'expert')), -- NULL: the invitee's grade's
    PRIMARY KEY (session_id, position),
    UNIQUE (session_id, item)
);

-- One override per employee and session; a new one replaces it (the audit log keeps each).
CREATE TABLE exam_session_overrides (
    session_id     bigint NOT NULL REFERENCES exam_sessions (id) ON DELETE CASCADE,
    username       text NOT NULL REFERENCES users (username),
    extra_seconds  int NOT NULL DEFAULT 0 CHECK (extra_seconds BETWEEN 0 AND 86400),
    extra_attempts int NOT NULL DEFAULT 0 CHECK (extra_attempts BETWEEN 0 AND 100),
    opens_at       timestamptz,
    closes_at      timestamptz,
    reason         text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    created_by     text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (session_id, username),
    CHECK (opens_at IS NULL OR closes_at IS NULL OR closes_at > opens_at)
);

-- The functions and triggers this migration created or replaced now live in
-- migrations/functions/ (moved 2026-12-02, after efaa608).
