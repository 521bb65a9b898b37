-- The whole examd schema: the competency model and its versions, users and sessions,
-- question banks and blueprints, attempts with their snapshots, the behaviour_ratings
-- records table (SPEC §6) and the audit log.

-- ---------------------------------------------------------------- the model's structure
-- Seeded once from model/competency-model.json by `examd migrate`; never edited after.
CREATE TABLE model_categories (
    code           text PRIMARY KEY,
    position       int  NOT NULL UNIQUE,
    name_zh        text NOT NULL,
    name_en        text NOT NULL,
    description_zh text NOT NULL DEFAULT '',
    description_en text NOT NULL DEFAULT ''
);

CREATE TABLE model_levels (
    code          text PRIMARY KEY,
    rank          int  NOT NULL UNIQUE,          -- 0 junior .. 3 expert
    name_zh       text NOT NULL,
    name_en       text NOT NULL,
    definition_zh jsonb NOT NULL DEFAULT '[]',
    definition_en text NOT NULL DEFAULT ''
);

CREATE TABLE model_grades (
    grade          int  PRIMARY KEY CHECK (grade BETWEEN 1 AND 4),
    name_zh        text NOT NULL,
    name_en        text NOT NULL,
    default_level  text NOT NULL REFERENCES model_levels (code)
);

CREATE TABLE model_items (
    code          text PRIMARY KEY,
    position      int  NOT NULL UNIQUE,          -- model order, 1..18
    category      text NOT NULL REFERENCES model_categories (code),
    assessment    text NOT NULL CHECK (assessment IN ('exam', 'behaviour')),
    name_zh       text NOT NULL,
    name_en       text NOT NULL,
    definition_zh text NOT NULL DEFAULT '',
    definition_en text NOT NULL DEFAULT '',
    levels        jsonb NOT NULL DEFAULT '{}'    -- behaviour indicators per level, as in the model data
);

CREATE TABLE model_subtopics (
    item     text NOT NULL REFERENCES model_items (code),
    code     text NOT NULL UNIQUE,
    position int  NOT NULL,
    name_zh  text NOT NULL,
    name_en  text NOT NULL,
    PRIMARY KEY (item, code)
);

CREATE TABLE model_rating_scale (
    score   int  PRIMARY KEY CHECK (score BETWEEN 0 AND 6),
    name_zh text NOT NULL,
    name_en text NOT NULL
);

CREATE TABLE model_relations (
    code     text PRIMARY KEY,
    position int  NOT NULL UNIQUE,
    name_zh  text NOT NULL
);
INSERT INTO model_relations (code, position, name_zh) VALUES
    ('self', 1, '自评'), ('supervisor', 2, '上级'), ('peer', 3, '同事'),
    ('subordinate', 4, '下属'), ('customer', 5, '客户'), ('hr', 6, '人力资源');

-- ---------------------------------------------------------------- model versions (SPEC §2.1)
-- Each version stores its complete values (the previous version plus its overrides),
-- so a computation reads one version only. Versions are immutable (trigger below).
CREATE TABLE model_versions (
    version        int PRIMARY KEY CHECK (version >= 1),
    effective_from timestamptz NOT NULL,
    note           text NOT NULL DEFAULT '',
    created_by     text,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX model_versions_effective ON model_versions (effective_from DESC, version DESC);

CREATE TABLE model_required_levels (
    version int  NOT NULL REFERENCES model_versions (version),
    grade   int  NOT NULL REFERENCES model_grades (grade),
    item    text NOT NULL REFERENCES model_items (code),
    level   text NOT NULL REFERENCES model_levels (code),
    PRIMARY KEY (version, grade, item)
);

CREATE TABLE model_subtopic_weights (
    version  int     NOT NULL REFERENCES model_versions (version),
    item     text    NOT NULL,
    level    text    NOT NULL REFERENCES model_levels (code),
    subtopic text    NOT NULL,
    weight   numeric NOT NULL CHECK (weight >= 0),
    PRIMARY KEY (version, item, level, subtopic),
    FOREIGN KEY (item, subtopic) REFERENCES model_subtopics (item, code)
);

CREATE TABLE model_exam_bands (
    version int     NOT NULL REFERENCES model_versions (version),
    score   int     NOT NULL CHECK (score BETWEEN 1 AND 6),
    min     numeric NOT NULL CHECK (min >= 0 AND min <= 100),
    PRIMARY KEY (version, score)
);

CREATE TABLE model_rater_weights (
    version  int     NOT NULL REFERENCES model_versions (version),
    relation text    NOT NULL REFERENCES model_relations (code),
    weight   numeric NOT NULL CHECK (weight >= 0),
    PRIMARY KEY (version, relation)
);

-- ---------------------------------------------------------------- users and sessions
CREATE TABLE users (
    username      text PRIMARY KEY CHECK (username ~ '^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$'),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    role          text NOT NULL CHECK (role IN ('employee', 'trainer', 'hr', 'admin')),
    department    text NOT NULL DEFAULT '' CHECK (length(department) <= 200),
    active        boolean NOT NULL DEFAULT true,
    password_hash text NOT NULL,
    password_changed_at timestamptz NOT NULL DEFAULT now(),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_role_department ON users (role, department);

-- Grade history: a computation at time T uses the grade held at T (SPEC §4.1).
CREATE TABLE user_grades (
    id             bigserial PRIMARY KEY,
    username       text NOT NULL REFERENCES users (username),
    grade          int  NOT NULL REFERENCES model_grades (grade),
    effective_from timestamptz NOT NULL DEFAULT now(),
    recorded_by    text
);
CREATE INDEX user_grades_user_time ON user_grades (username, effective_from DESC, id DESC);

-- Bearer tokens are stored only as SHA-256 hashes.
CREATE TABLE sessions (
    token_hash  text PRIMARY KEY,
    username    text NOT NULL REFERENCES users (username),
    created_at  timestamptz NOT NULL DEFAULT now(),
    last_seen   timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    address     text NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (username);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE login_failures (
    id       bigserial PRIMARY KEY,
    username text NOT NULL,
    address  text NOT NULL,
    at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_user ON login_failures (username, at);
CREATE INDEX login_failures_address ON login_failures (address, at);

-- ---------------------------------------------------------------- question banks
-- A question is never erased: edits retire the old row and add a new version.
CREATE TABLE questions (
    id           bigserial PRIMARY KEY,
    item         text NOT NULL,
    subtopic     text NOT NULL,
    level        text NOT NULL REFERENCES model_levels (code),
    type         text NOT NULL CHECK (type IN ('single', 'multiple', 'truefalse', 'fill')),
    stem         text NOT NULL,
    options      jsonb NOT NULL DEFAULT '[]',
    answer       jsonb NOT NULL,
    points       numeric(8, 2) NOT NULL DEFAULT 1 CHECK (points > 0),
    explanation  text NOT NULL DEFAULT '',
    external_id  text,
    version      int  NOT NULL DEFAULT 1,
    content_hash text NOT NULL,
    active       boolean NOT NULL DEFAULT true,
    replaces     bigint REFERENCES questions (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text,
    retired_at   timestamptz,
    FOREIGN KEY (item, subtopic) REFERENCES model_subtopics (item, code)
);
CREATE UNIQUE INDEX questions_external_active ON questions (external_id) WHERE active AND external_id IS NOT NULL;
CREATE INDEX questions_pool ON questions (item, subtopic, level) WHERE active;
CREATE INDEX questions_content ON questions (content_hash) WHERE active;

CREATE TABLE blueprints (
    item               text NOT NULL REFERENCES model_items (code),
    level              text NOT NULL REFERENCES model_levels (code),
    time_limit_seconds int  NOT NULL CHECK (time_limit_seconds BETWEEN 30 AND 86400),
    max_attempts       int  NOT NULL DEFAULT 3 CHECK (max_attempts BETWEEN 1 AND 100),
    grading            text NOT NULL DEFAULT 'highest' CHECK (grading IN ('highest', 'latest', 'first', 'average')),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    updated_by         text,
    PRIMARY KEY (item, level)
);

CREATE TABLE blueprint_draws (
    item       text NOT NULL,
    level      text NOT NULL,
    position   int  NOT NULL,
    subtopic   text NOT NULL,
    draw_level text NOT NULL REFERENCES model_levels (code),
    count      int  NOT NULL CHECK (count BETWEEN 1 AND 500),
    PRIMARY KEY (item, level, position),
    FOREIGN KEY (item, level) REFERENCES blueprints (item, level) ON DELETE CASCADE,
    FOREIGN KEY (item, subtopic) REFERENCES model_subtopics (item, code)
);

-- ---------------------------------------------------------------- attempts
CREATE TABLE attempts (
    id                 bigserial PRIMARY KEY,
    username           text NOT NULL REFERENCES users (username),
    item               text NOT NULL REFERENCES model_items (code),
    level              text NOT NULL REFERENCES model_levels (code),
    status             text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'submitted', 'auto_submitted')),
    model_version      int  NOT NULL REFERENCES model_versions (version),
    grading            text NOT NULL,
    time_limit_seconds int  NOT NULL,
    started_at         timestamptz NOT NULL DEFAULT now(),
    deadline           timestamptz NOT NULL,
    submitted_at       timestamptz,
    standard_score     numeric(5, 2),
    band               int CHECK (band BETWEEN 0 AND 6),
    result             jsonb
);
CREATE UNIQUE INDEX attempts_one_open ON attempts (username, item) WHERE status = 'open';
CREATE INDEX attempts_user_item ON attempts (username, item, level, started_at);
CREATE INDEX attempts_open_deadline ON attempts (deadline) WHERE status = 'open';

-- What the attempt showed: the snapshot survives any later bank edit.
CREATE TABLE attempt_questions (
    attempt_id  bigint NOT NULL REFERENCES attempts (id),
    question_id bigint NOT NULL REFERENCES questions (id),
    position    int    NOT NULL,
    subtopic    text   NOT NULL,
    type        text   NOT NULL,
    stem        text   NOT NULL,
    options     jsonb  NOT NULL,   -- in the order shown, labelled A, B, C...
    answer      jsonb  NOT NULL,   -- the key, in the labels shown to this attempt
    points      numeric(8, 2) NOT NULL,
    explanation text   NOT NULL DEFAULT '',
    PRIMARY KEY (attempt_id, question_id)
);

CREATE TABLE answers (
    attempt_id  bigint NOT NULL,
    question_id bigint NOT NULL,
    answer      jsonb  NOT NULL,
    seq         bigint NOT NULL DEFAULT 0,
    saved_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (attempt_id, question_id),
    FOREIGN KEY (attempt_id, question_id) REFERENCES attempt_questions (attempt_id, question_id)
);

-- ---------------------------------------------------------------- behaviour ratings (SPEC §6)
-- A records table: other systems may write it directly; examd reads it fresh.
CREATE TABLE behaviour_ratings (
    id          bigserial PRIMARY KEY,
    employee    text NOT NULL REFERENCES users (username),
    item        text NOT NULL CHECK (item IN (
                    'achievement_orientation', 'resilience', 'oral_communication_listening',
                    'written_communication', 'interpersonal_skills', 'execution', 'emotional_control',
                    'coordination', 'information_gathering', 'needs_analysis', 'tailored_solutions',
                    'proactive_selling', 'customer_retention', 'customer_relationship')),
    score       smallint NOT NULL CHECK (score BETWEEN 0 AND 6),
    rater       text NOT NULL,
    relation    text NOT NULL DEFAULT 'supervisor'
                    CHECK (relation IN ('self', 'supervisor', 'peer', 'subordinate', 'customer', 'hr')),
    period      text NOT NULL,
    rated_level text NULL CHECK (rated_level IN ('junior', 'intermediate', 'senior', 'expert')),
    rated_at    timestamptz NOT NULL DEFAULT now(),
    note        text NULL
);
CREATE INDEX behaviour_ratings_lookup ON behaviour_ratings (employee, period, item, rater, rated_at DESC);
CREATE INDEX behaviour_ratings_recent ON behaviour_ratings (employee, rated_at DESC);

-- ---------------------------------------------------------------- audit log
CREATE TABLE audit_log (
    id      bigserial PRIMARY KEY,
    at      timestamptz NOT NULL DEFAULT now(),
    actor   text,
    action  text NOT NULL,
    target  text,
    address text,
    detail  jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor, at);
CREATE INDEX audit_log_action ON audit_log (action, at);

-- The functions and triggers this migration created or replaced now live in
-- migrations/functions/ (moved 2026-12-02, after efaa608).
