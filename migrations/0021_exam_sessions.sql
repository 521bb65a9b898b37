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

-- A practice attempt closes as 'practice' (see above); its result keeps submitted/auto_submitted.
CREATE FUNCTION examd_attempt_practice_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.mode = 'practice' AND NEW.status IN ('submitted', 'auto_submitted') THEN
        NEW.status := 'practice';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER attempts_practice_status BEFORE UPDATE OF status ON attempts
    FOR EACH ROW WHEN (NEW.mode = 'practice') EXECUTE FUNCTION examd_attempt_practice_status();

-- An RFC 3339 text as a time, NULL when it is not one.
CREATE FUNCTION examd_try_ts(p text) RETURNS timestamptz LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF p IS NULL OR p !~ '^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|z|[+-]\d\d(:?\d\d)?)$' THEN
        RETURN NULL;
    END IF;
    RETURN p::timestamptz;
EXCEPTION WHEN others THEN
    RETURN NULL;
END $$;

-- The cohort rule: active employees named in usernames, and those whose department is one of
-- departments (when any is given) and whose grade now is one of grades (when any is given), when
-- at least one of the two is given.
CREATE FUNCTION examd_session_invitees(p_session bigint)
    RETURNS TABLE (username text, name text, department text, grade int) LANGUAGE sql STABLE AS $$
    SELECT u.username, u.name, u.department, examd_grade_at(u.username, now())
    FROM exam_sessions s
    JOIN users u ON u.role = 'employee' AND u.active
    WHERE s.id = p_session
      AND (u.username = ANY (s.usernames)
           OR ((cardinality(s.departments) > 0 OR cardinality(s.grades) > 0)
               AND (cardinality(s.departments) = 0 OR u.department = ANY (s.departments))
               AND (cardinality(s.grades) = 0 OR examd_grade_at(u.username, now()) = ANY (s.grades))))
$$;

CREATE FUNCTION examd_session_invited(p_session bigint, p_username text) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM exam_sessions s JOIN users u ON u.username = p_username
                   WHERE s.id = p_session AND u.role = 'employee' AND u.active
                     AND (u.username = ANY (s.usernames)
                          OR ((cardinality(s.departments) > 0 OR cardinality(s.grades) > 0)
                              AND (cardinality(s.departments) = 0 OR u.department = ANY (s.departments))
                              AND (cardinality(s.grades) = 0 OR examd_grade_at(u.username, now()) = ANY (s.grades)))))
$$;

-- Until when a session's results stay hidden: its close, or the latest personal window's.
CREATE FUNCTION examd_session_reveal_at(p_session bigint) RETURNS timestamptz LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN s.results = 'after_close'
                THEN greatest(s.closes_at, (SELECT max(o.closes_at) FROM exam_session_overrides o WHERE o.session_id = s.id))
           END
    FROM exam_sessions s WHERE s.id = p_session
$$;

-- The session as the API shows it; for an employee (p_username) with their window, items at their
-- level and attempts.
CREATE FUNCTION examd_session_json(p_id bigint, p_username text) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'id', s.id, 'title', s.title, 'opens_at', examd_ts(s.opens_at), 'closes_at', examd_ts(s.closes_at),
        'time_limit_seconds', s.time_limit_seconds, 'attempts_allowed', s.attempts_allowed, 'results', s.results,
        'cohort', jsonb_build_object('departments', to_jsonb(s.departments), 'grades', to_jsonb(s.grades),
                                     'usernames', to_jsonb(s.usernames)),
        'created_by', s.created_by, 'created_at', examd_ts(s.created_at), 'server_time', examd_ts(now()),
        'state', CASE WHEN now() < s.opens_at THEN 'upcoming' WHEN now() <= s.closes_at THEN 'open' ELSE 'closed' END,
        'items', (SELECT jsonb_agg(jsonb_build_object(
                      'item', i.item, 'name_zh', m.name_zh, 'level', i.level,
                      'your_level', CASE WHEN p_username IS NOT NULL
                                         THEN coalesce(i.level, examd_required_level(p_username, i.item, now())) END,
                      'attempts_used', CASE WHEN p_username IS NOT NULL THEN
                          (SELECT count(*) FROM attempts a WHERE a.session_id = s.id AND a.username = p_username
                             AND a.item = i.item AND a.status <> 'voided') END,
                      'open_attempt_id', CASE WHEN p_username IS NOT NULL THEN
                          (SELECT a.id FROM attempts a WHERE a.session_id = s.id AND a.username = p_username
                             AND a.item = i.item AND a.status = 'open') END)
                      ORDER BY i.position)
                  FROM exam_session_items i JOIN model_items m ON m.code = i.item WHERE i.session_id = s.id),
        'invitees', CASE WHEN p_username IS NULL THEN (SELECT count(*) FROM examd_session_invitees(s.id)) END,
        'overrides', CASE WHEN p_username IS NULL THEN
                         (SELECT count(*) FROM exam_session_overrides o WHERE o.session_id = s.id) END)
        || CASE WHEN p_username IS NULL THEN '{}'::jsonb ELSE
           (SELECT jsonb_build_object(
                'your_opens_at', examd_ts(coalesce(o.opens_at, s.opens_at)),
                'your_closes_at', examd_ts(coalesce(o.closes_at, s.closes_at)),
                'your_state', CASE WHEN now() < coalesce(o.opens_at, s.opens_at) THEN 'upcoming'
                                   WHEN now() <= coalesce(o.closes_at, s.closes_at) THEN 'open' ELSE 'closed' END,
                'seconds_to_open', greatest(0, floor(extract(epoch FROM coalesce(o.opens_at, s.opens_at) - now())))::int,
                'extra_seconds', coalesce(o.extra_seconds, 0), 'extra_attempts', coalesce(o.extra_attempts, 0))
            FROM (SELECT 1) one LEFT JOIN exam_session_overrides o ON o.session_id = s.id AND o.username = p_username)
           END
    FROM exam_sessions s WHERE s.id = p_id
$$;

-- Creates a session from a body already checked for types by examd. Returns {"session"} or
-- {"error", "message"} (422 validation_failed).
CREATE FUNCTION examd_session_create(p_body jsonb, p_actor text, p_address text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_opens timestamptz := examd_try_ts(p_body->>'opens_at');
    v_closes timestamptz := examd_try_ts(p_body->>'closes_at');
    v_id bigint;
    v_bad text;
BEGIN
    IF v_opens IS NULL OR v_closes IS NULL THEN
        RETURN jsonb_build_object('error', 'invalid_field', 'message', 'opens_at and closes_at must be RFC 3339 times');
    END IF;
    IF v_closes <= v_opens THEN
        RETURN jsonb_build_object('error', 'validation_failed', 'message', 'closes_at must be after opens_at');
    END IF;
    IF v_closes <= now() THEN
        RETURN jsonb_build_object('error', 'validation_failed', 'message', 'closes_at is in the past');
    END IF;
    SELECT u INTO v_bad FROM jsonb_array_elements_text(coalesce(p_body #> '{cohort,usernames}', '[]')) u
    WHERE NOT EXISTS (SELECT 1 FROM users x WHERE x.username = u AND x.role = 'employee') LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RETURN jsonb_build_object('error', 'validation_failed', 'message', 'no employee is called ' || v_bad);
    END IF;
    INSERT INTO exam_sessions (title, opens_at, closes_at, time_limit_seconds, attempts_allowed, results,
                               departments, grades, usernames, created_by)
    VALUES (p_body->>'title', v_opens, v_closes, (p_body->>'time_limit_seconds')::int,
            coalesce((p_body->>'attempts_allowed')::int, 1), coalesce(p_body->>'results', 'at_submit'),
            ARRAY(SELECT jsonb_array_elements_text(coalesce(p_body #> '{cohort,departments}', '[]'))),
            ARRAY(SELECT jsonb_array_elements_text(coalesce(p_body #> '{cohort,grades}', '[]'))::int),
            ARRAY(SELECT jsonb_array_elements_text(coalesce(p_body #> '{cohort,usernames}', '[]'))), p_actor)
    RETURNING id INTO v_id;
    INSERT INTO exam_session_items (session_id, position, item, level)
    SELECT v_id, o, e->>'item', e->>'level' FROM jsonb_array_elements(p_body->'items') WITH ORDINALITY AS t(e, o);
    INSERT INTO audit_log (actor, action, target, address, detail)
    VALUES (p_actor, 'session.create', 'session:' || v_id, p_address, p_body);
    RETURN jsonb_build_object('session', examd_session_json(v_id, NULL));
END $$;

-- Sessions for a reader: an employee's own (invited; not those closed more than 30 days ago), a
-- trainer's own, every session for hr and admin; newest window first.
CREATE FUNCTION examd_sessions_for(p_username text, p_role text) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('sessions', coalesce(jsonb_agg(
               examd_session_json(s.id, CASE WHEN p_role = 'employee' THEN p_username END)
               ORDER BY s.opens_at DESC, s.id DESC), '[]'))
    FROM exam_sessions s
    LEFT JOIN exam_session_overrides o ON o.session_id = s.id AND o.username = p_username
    WHERE CASE p_role
              WHEN 'employee' THEN examd_session_invited(s.id, p_username)
                                   AND coalesce(o.closes_at, s.closes_at) > now() - interval '30 days'
              WHEN 'trainer' THEN s.created_by = p_username
              ELSE true END
$$;

-- Starts (or resumes) an attempt: mode 'session' (p_session, p_item), 'practice' or 'exam' (p_item).
-- Returns {"attempt_id","created"}, {"expired": id} (an open attempt past its time: close it first)
-- or {"error","message"}. The draw is that of 0011.
CREATE FUNCTION examd_attempt_begin(p_username text, p_item text, p_grace int, p_mode text, p_session bigint)
    RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    s exam_sessions%ROWTYPE;
    ov exam_session_overrides%ROWTYPE;
    v_level text;
    v_version int;
    bp blueprints%ROWTYPE;
    v_open attempts%ROWTYPE;
    v_used int;
    v_id bigint;
    v_short int;
    v_drawn int;
    v_limit int;
    v_deadline timestamptz;
    v_closes timestamptz;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('attempt:' || p_username || ':' || p_item, 0));
    IF p_mode = 'session' THEN
        SELECT * INTO s FROM exam_sessions WHERE id = p_session;
        IF NOT FOUND OR NOT examd_session_invited(p_session, p_username) THEN
            RETURN jsonb_build_object('error', 'not_found', 'message', 'no such session');
        END IF;
        SELECT * INTO ov FROM exam_session_overrides WHERE session_id = p_session AND username = p_username;
        v_closes := coalesce(ov.closes_at, s.closes_at);
        IF now() < coalesce(ov.opens_at, s.opens_at) THEN
            RETURN jsonb_build_object('error', 'not_open', 'message',
                                      'the session opens at ' || examd_ts(coalesce(ov.opens_at, s.opens_at)));
        END IF;
        IF now() > v_closes THEN
            RETURN jsonb_build_object('error', 'closed', 'message', 'the session closed at ' || examd_ts(v_closes));
        END IF;
        IF p_item IS NULL THEN
            SELECT min(item) INTO p_item FROM exam_session_items WHERE session_id = p_session HAVING count(*) = 1;
            IF p_item IS NULL THEN
                RETURN jsonb_build_object('error', 'invalid_field',
                                          'message', 'this session has several exams: the body must name the item');
            END IF;
            PERFORM pg_advisory_xact_lock(hashtextextended('attempt:' || p_username || ':' || p_item, 0));
        END IF;
        SELECT coalesce(i.level, examd_required_level(p_username, i.item, now())) INTO v_level
        FROM exam_session_items i WHERE i.session_id = p_session AND i.item = p_item;
        IF NOT FOUND THEN
            RETURN jsonb_build_object('error', 'invalid_field', 'message', 'this exam is not part of the session');
        END IF;
    ELSE
        v_level := examd_required_level(p_username, p_item, now());
    END IF;
    SELECT * INTO v_open FROM attempts WHERE username = p_username AND item = p_item AND status = 'open';
    IF FOUND THEN
        IF now() > v_open.deadline + make_interval(secs => p_grace) THEN
            RETURN jsonb_build_object('expired', v_open.id);
        END IF;
        -- The SPEC's start resumes whatever attempt at this exam is open; practice and session starts
        -- do not take over an attempt of another kind.
        IF p_mode <> 'exam' AND (v_open.mode <> p_mode OR v_open.session_id IS DISTINCT FROM p_session) THEN
            RETURN jsonb_build_object('error', 'conflict', 'message',
                                      'another attempt at this exam is open: submit it first', 'open_attempt_id', v_open.id);
        END IF;
        RETURN jsonb_build_object('attempt_id', v_open.id, 'created', false);
    END IF;
    v_version := examd_model_version_at(now());
    IF v_level IS NULL THEN
        RETURN jsonb_build_object('error', 'exam_unavailable', 'message', 'you have no grade, so no exam level applies');
    END IF;
    SELECT * INTO bp FROM blueprints WHERE item = p_item AND level = v_level;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('error', 'exam_unavailable',
                                  'message', 'no blueprint exists for this exam at level ' || v_level);
    END IF;
    IF p_mode = 'session' THEN
        SELECT count(*) INTO v_used FROM attempts
        WHERE session_id = p_session AND username = p_username AND item = p_item AND status <> 'voided';
        IF v_used >= s.attempts_allowed + coalesce(ov.extra_attempts, 0) THEN
            RETURN jsonb_build_object('error', 'attempts_exhausted',
                                      'message', format('all %s attempts of this session are used',
                                                        s.attempts_allowed + coalesce(ov.extra_attempts, 0)));
        END IF;
    ELSIF p_mode = 'practice' THEN
        IF NOT bp.practice_allowed THEN
            RETURN jsonb_build_object('error', 'exam_unavailable', 'message', 'free practice is off for this exam');
        END IF;
    ELSE
        SELECT count(*) INTO v_used FROM attempts
        WHERE username = p_username AND item = p_item AND level = v_level AND mode = 'exam' AND status <> 'voided';
        IF v_used >= bp.max_attempts THEN
            RETURN jsonb_build_object('error', 'attempts_exhausted',
                                      'message', format('all %s attempts at this exam are used', bp.max_attempts));
        END IF;
    END IF;
    SELECT count(*) INTO v_short FROM blueprint_draws d
    WHERE d.item = bp.item AND d.level = bp.level
      AND (SELECT count(*) FROM questions q WHERE q.active AND q.item = d.item AND q.subtopic = d.subtopic
           AND q.level = d.draw_level) < d.count;
    IF v_short > 0 THEN
        RETURN jsonb_build_object('error', 'exam_unavailable',
                                  'message', 'the question pool no longer fills this exam; tell the trainers');
    END IF;
    v_limit := coalesce(s.time_limit_seconds, bp.time_limit_seconds) + coalesce(ov.extra_seconds, 0);
    v_deadline := now() + make_interval(secs => v_limit);
    IF v_closes IS NOT NULL AND v_closes < v_deadline THEN
        v_deadline := v_closes; -- a session attempt ends at the latest when the (personal) window closes
    END IF;
    INSERT INTO attempts (username, item, level, status, model_version, grading, time_limit_seconds, started_at,
                          deadline, mode, session_id)
    VALUES (p_username, p_item, v_level, 'open', v_version, bp.grading, v_limit, now(), v_deadline, p_mode, p_session)
    RETURNING id INTO v_id;
    INSERT INTO attempt_questions (attempt_id, question_id, position, subtopic, type, stem, options, answer,
                                   points, explanation)
    SELECT v_id, q.id, row_number() OVER (ORDER BY random()), q.subtopic, q.type, q.stem,
           CASE WHEN q.type IN ('single', 'multiple') THEN
               (SELECT jsonb_agg(jsonb_build_object('id', chr(64 + n), 'text', q.options->>(p.perm[n])) ORDER BY n)
                FROM generate_subscripts(p.perm, 1) AS n)
           ELSE '[]'::jsonb END,
           CASE q.type
               WHEN 'single' THEN to_jsonb(chr(64 + array_position(p.perm, ascii(q.answer #>> '{}') - 65)))
               WHEN 'multiple' THEN
                   (SELECT jsonb_agg(x.label ORDER BY x.label)
                    FROM (SELECT chr(64 + array_position(p.perm, ascii(l) - 65)) AS label
                          FROM jsonb_array_elements_text(q.answer) AS l) x)
               ELSE q.answer END,
           q.points, q.explanation
    FROM blueprint_draws d
    CROSS JOIN LATERAL (SELECT * FROM questions q WHERE q.active AND q.item = d.item AND q.subtopic = d.subtopic
                        AND q.level = d.draw_level ORDER BY random() LIMIT d.count) q
    CROSS JOIN LATERAL (SELECT array_agg((o - 1)::int ORDER BY random()) AS perm
                        FROM jsonb_array_elements(CASE WHEN q.type IN ('single', 'multiple') THEN q.options
                                                       ELSE '[]'::jsonb END) WITH ORDINALITY AS t(v, o)) p
    WHERE d.item = bp.item AND d.level = bp.level;
    GET DIAGNOSTICS v_drawn = ROW_COUNT;
    IF v_drawn <> (SELECT sum(count) FROM blueprint_draws WHERE item = bp.item AND level = bp.level) THEN
        RAISE EXCEPTION 'drew % questions for attempt %, fewer than the blueprint asks', v_drawn, v_id;
    END IF;
    INSERT INTO audit_log (actor, action, target, detail)
    VALUES (p_username, 'attempt.start', 'attempt:' || v_id,
            jsonb_build_object('item', p_item, 'level', v_level, 'questions', v_drawn, 'mode', p_mode,
                               'session', p_session));
    RETURN jsonb_build_object('attempt_id', v_id, 'created', true);
END $$;

-- The SPEC start is the 'exam' mode of examd_attempt_begin (practice and session attempts do not
-- use up the blueprint's max_attempts; voided attempts give theirs back).
CREATE OR REPLACE FUNCTION examd_attempt_start(p_username text, p_item text, p_grace int) RETURNS jsonb
    LANGUAGE sql AS $$
    SELECT examd_attempt_begin(p_username, p_item, p_grace, 'exam', NULL)
$$;

-- The attempt as the API shows it (0003), with the session, practice and void fields; a session
-- attempt whose results wait for the window's close shows neither score nor key until then.
CREATE OR REPLACE FUNCTION examd_attempt_json(p_id bigint, p_grace int) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'attempt_id', a.id, 'username', a.username, 'item', a.item, 'level', a.level,
        'status', CASE a.status WHEN 'practice' THEN a.result->>'status'
                                WHEN 'voided' THEN coalesce(a.result->>'status', 'voided') ELSE a.status END,
        'started_at', examd_ts(a.started_at), 'deadline', examd_ts(a.deadline), 'server_time', examd_ts(now()),
        'time_limit_seconds', a.time_limit_seconds, 'grace_seconds', p_grace,
        'remaining_seconds', CASE WHEN a.status = 'open'
                                  THEN greatest(0, floor(extract(epoch FROM a.deadline - now())))::int ELSE 0 END,
        'mode', a.mode, 'practice', a.mode = 'practice',
        'counts', a.mode <> 'practice' AND a.status <> 'voided',
        'session', CASE WHEN s.id IS NOT NULL THEN json_build_object('id', s.id, 'title', s.title,
                        'closes_at', examd_ts(coalesce(o.closes_at, s.closes_at)), 'results', s.results) END,
        'voided', a.status = 'voided',
        'void', CASE WHEN a.status = 'voided' THEN json_build_object('reason', a.void_reason,
                                                                       'at', examd_ts(a.voided_at), 'by', a.voided_by) END,
        'review_hidden_until', CASE WHEN h.hidden THEN examd_ts(h.reveal) END,
        'questions', coalesce((SELECT json_agg(CASE WHEN a.status = 'open' OR h.hidden OR a.result IS NULL THEN
                    json_build_object('id', q.question_id, 'type', q.type, 'subtopic', q.subtopic, 'stem', q.stem,
                                      'options', q.options, 'points', trim_scale(q.points))
                  ELSE
                    json_build_object('id', q.question_id, 'type', q.type, 'subtopic', q.subtopic, 'stem', q.stem,
                                      'options', q.options, 'points', trim_scale(q.points), 'key', q.answer,
                                      'explanation', q.explanation,
                                      'earned', (a.result->'question_scores'->>(q.question_id::text))::numeric,
                                      'correct', (a.result->'question_scores'->>(q.question_id::text))::numeric
                                                 = q.points)
                  END ORDER BY q.position)
                FROM attempt_questions q WHERE q.attempt_id = a.id), '[]'),
        'answers', coalesce((SELECT json_object_agg(s2.question_id::text, s2.answer ORDER BY s2.question_id)
                             FROM answers s2 WHERE s2.attempt_id = a.id), '{}'),
        'answer_seqs', coalesce((SELECT json_object_agg(s2.question_id::text, s2.seq ORDER BY s2.question_id)
                                 FROM answers s2 WHERE s2.attempt_id = a.id), '{}'),
        'result', CASE WHEN a.status = 'open' OR a.result IS NULL THEN NULL
                       WHEN h.hidden THEN
                         json_build_object('status', a.result->>'status', 'submitted_at', a.result->>'submitted_at',
                                           'standard_score', NULL, 'band', NULL, 'band_name_zh', NULL,
                                           'model_version', a.model_version, 'subtopic_scores', '[]'::json,
                                           'counted', false, 'hidden_until', examd_ts(h.reveal))
                       ELSE
                    ((a.result - 'question_scores') || jsonb_build_object('counted',
                        a.status NOT IN ('practice', 'voided') AND
                        coalesce(examd_counted_exam(a.username, a.item, now())->'attempt_ids' @> to_jsonb(a.id),
                                 false)))::json END)
    FROM attempts a
    LEFT JOIN exam_sessions s ON s.id = a.session_id
    LEFT JOIN exam_session_overrides o ON o.session_id = a.session_id AND o.username = a.username
    CROSS JOIN LATERAL (SELECT r.reveal, r.reveal IS NOT NULL AND now() < r.reveal AND a.status <> 'open' AS hidden
                        FROM (SELECT CASE WHEN a.session_id IS NOT NULL
                                          THEN examd_session_reveal_at(a.session_id) END AS reveal) r) h
    WHERE a.id = p_id
$$;

-- The exams open to an employee (0003), with what a session or practice adds: practice attempts
-- never count (practice_counts false); sessions of the item that are open or upcoming.
CREATE OR REPLACE FUNCTION examd_exams_for(p_username text) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('exams', coalesce(json_agg(json_build_object(
        'item', i.code, 'name_zh', i.name_zh, 'level', b.level, 'time_limit_seconds', b.time_limit_seconds,
        'max_attempts', b.max_attempts, 'grading', b.grading,
        'question_count', (SELECT sum(count) FROM blueprint_draws d WHERE d.item = b.item AND d.level = b.level),
        'attempts_used', (SELECT count(*) FROM attempts a WHERE a.username = p_username AND a.item = b.item
                          AND a.level = b.level AND a.mode = 'exam' AND a.status <> 'voided'),
        'open_attempt_id', (SELECT a.id FROM attempts a WHERE a.username = p_username AND a.item = b.item
                            AND a.status = 'open'),
        'open_attempt_mode', (SELECT a.mode FROM attempts a WHERE a.username = p_username AND a.item = b.item
                              AND a.status = 'open'),
        'counted_result', CASE WHEN c.r->'standard_score' = 'null'::jsonb THEN NULL
                               -- a session's score stays hidden here too until its results are out
                               WHEN EXISTS (SELECT 1 FROM attempts x
                                            WHERE x.id IN (SELECT jsonb_array_elements_text(c.r->'attempt_ids')::bigint)
                                              AND x.session_id IS NOT NULL
                                              AND now() < examd_session_reveal_at(x.session_id)) THEN NULL
                               ELSE (c.r - 'level' - 'grading') END,
        'practice_allowed', b.practice_allowed, 'practice_counts', false,
        'practice_attempts_used', (SELECT count(*) FROM attempts a WHERE a.username = p_username
                                   AND a.item = b.item AND a.mode = 'practice'),
        'sessions', (SELECT coalesce(json_agg(json_build_object('id', s.id, 'title', s.title,
                                'opens_at', examd_ts(coalesce(o.opens_at, s.opens_at)),
                                'closes_at', examd_ts(coalesce(o.closes_at, s.closes_at))) ORDER BY s.opens_at), '[]')
                     FROM exam_sessions s JOIN exam_session_items si ON si.session_id = s.id AND si.item = i.code
                     LEFT JOIN exam_session_overrides o ON o.session_id = s.id AND o.username = p_username
                     WHERE coalesce(o.closes_at, s.closes_at) > now() AND examd_session_invited(s.id, p_username)))
        ORDER BY i.position), '[]'))
    FROM model_items i
    JOIN blueprints b ON b.item = i.code AND b.level = examd_required_level(p_username, i.code, now())
    CROSS JOIN LATERAL (SELECT examd_counted_exam(p_username, i.code, now()) AS r) c
    WHERE i.assessment = 'exam'
$$;

-- Overrides: one per employee and session, replacing the previous one; audited.
CREATE FUNCTION examd_session_override_put(p_session bigint, p_body jsonb, p_actor text, p_address text)
    RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_user text := p_body->>'username';
    v_opens timestamptz := examd_try_ts(p_body->>'opens_at');
    v_closes timestamptz := examd_try_ts(p_body->>'closes_at');
BEGIN
    IF (p_body ? 'opens_at' AND p_body->'opens_at' <> 'null' AND v_opens IS NULL)
       OR (p_body ? 'closes_at' AND p_body->'closes_at' <> 'null' AND v_closes IS NULL) THEN
        RETURN jsonb_build_object('error', 'invalid_field', 'message', 'opens_at and closes_at must be RFC 3339 times');
    END IF;
    IF NOT examd_session_invited(p_session, v_user) THEN
        RETURN jsonb_build_object('error', 'validation_failed', 'message', v_user || ' is not invited to this session');
    END IF;
    IF v_opens IS NOT NULL AND v_closes IS NOT NULL AND v_closes <= v_opens THEN
        RETURN jsonb_build_object('error', 'validation_failed', 'message', 'closes_at must be after opens_at');
    END IF;
    INSERT INTO exam_session_overrides AS x (session_id, username, extra_seconds, extra_attempts, opens_at, closes_at,
                                             reason, created_by)
    VALUES (p_session, v_user, coalesce((p_body->>'extra_seconds')::int, 0),
            coalesce((p_body->>'extra_attempts')::int, 0), v_opens, v_closes, p_body->>'reason', p_actor)
    ON CONFLICT (session_id, username) DO UPDATE
        SET extra_seconds = EXCLUDED.extra_seconds, extra_attempts = EXCLUDED.extra_attempts,
            opens_at = EXCLUDED.opens_at, closes_at = EXCLUDED.closes_at, reason = EXCLUDED.reason,
            created_by = EXCLUDED.created_by, created_at = now();
    INSERT INTO audit_log (actor, action, target, address, detail)
    VALUES (p_actor, 'session.override', 'session:' || p_session, p_address, p_body);
    RETURN jsonb_build_object('override', examd_session_overrides_json(p_session, v_user)->0);
END $$;

CREATE FUNCTION examd_session_overrides_json(p_session bigint, p_username text) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'username', o.username, 'name', u.name, 'extra_seconds', o.extra_seconds,
               'extra_attempts', o.extra_attempts, 'opens_at', examd_ts(o.opens_at), 'closes_at', examd_ts(o.closes_at),
               'reason', o.reason, 'created_by', o.created_by, 'created_at', examd_ts(o.created_at))
               ORDER BY o.username), '[]')
    FROM exam_session_overrides o JOIN users u ON u.username = o.username
    WHERE o.session_id = p_session AND (p_username IS NULL OR o.username = p_username)
$$;

-- The live roster: every invitee × exam item, with the state of their latest attempt.
CREATE FUNCTION examd_session_roster_rows(p_session bigint)
    RETURNS TABLE (username text, name text, department text, grade int, item text, level text, state text,
                   attempt_id bigint, attempts int, answered int, questions int, last_save timestamptz,
                   time_left int, standard_score numeric, band int, override text, window_closes timestamptz)
    LANGUAGE sql STABLE AS $$
    SELECT v.username, v.name, v.department, v.grade, i.item,
           coalesce(a.level, i.level, examd_required_level(v.username, i.item, now())),
           CASE WHEN a.id IS NULL THEN CASE WHEN now() > coalesce(o.closes_at, s.closes_at) THEN 'absent'
                                            ELSE 'not_started' END
                WHEN a.status = 'open' THEN 'in_progress'
                WHEN a.status = 'voided' THEN 'voided'
                ELSE 'submitted' END,
           a.id, (SELECT count(*)::int FROM attempts x WHERE x.session_id = s.id AND x.username = v.username
                    AND x.item = i.item),
           (SELECT count(*)::int FROM answers w WHERE w.attempt_id = a.id AND w.answer <> 'null'::jsonb),
           (SELECT count(*)::int FROM attempt_questions q WHERE q.attempt_id = a.id),
           (SELECT max(w.saved_at) FROM answers w WHERE w.attempt_id = a.id),
           CASE WHEN a.status = 'open' THEN greatest(0, floor(extract(epoch FROM a.deadline - now())))::int END,
           a.standard_score, a.band,
           CASE WHEN o.username IS NOT NULL THEN o.reason END, coalesce(o.closes_at, s.closes_at)
    FROM exam_sessions s
    CROSS JOIN examd_session_invitees(s.id) v
    JOIN exam_session_items i ON i.session_id = s.id
    LEFT JOIN exam_session_overrides o ON o.session_id = s.id AND o.username = v.username
    LEFT JOIN LATERAL (SELECT * FROM attempts x WHERE x.session_id = s.id AND x.username = v.username
                         AND x.item = i.item
                       ORDER BY (x.status = 'voided'), x.started_at DESC, x.id DESC LIMIT 1) a ON true
    WHERE s.id = p_session
    ORDER BY v.department, v.username, i.position
$$;

CREATE FUNCTION examd_session_roster(p_session bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'session', examd_session_json(p_session, NULL),
        'totals', jsonb_build_object(
            'invitees', (SELECT count(DISTINCT r.username) FROM examd_session_roster_rows(p_session) r),
            'not_started', count(*) FILTER (WHERE r.state = 'not_started'),
            'in_progress', count(*) FILTER (WHERE r.state = 'in_progress'),
            'submitted', count(*) FILTER (WHERE r.state = 'submitted'),
            'absent', count(*) FILTER (WHERE r.state = 'absent'),
            'voided', count(*) FILTER (WHERE r.state = 'voided')),
        'rows', coalesce(jsonb_agg(jsonb_build_object(
            'username', r.username, 'name', r.name, 'department', r.department, 'grade', r.grade, 'item', r.item,
            'level', r.level, 'state', r.state, 'attempt_id', r.attempt_id, 'attempts', r.attempts,
            'answered', r.answered, 'questions', r.questions, 'last_save', examd_ts(r.last_save),
            'time_left_seconds', r.time_left, 'standard_score', r.standard_score, 'band', r.band,
            'override', r.override, 'window_closes_at', examd_ts(r.window_closes))), '[]'))
    FROM examd_session_roster_rows(p_session) r
$$;

-- One CSV cell (RFC 4180), text that a spreadsheet would take for a formula neutralised with '.
CREATE FUNCTION examd_csv_cell(p text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p IS NULL THEN ''
                ELSE '"' || replace(CASE WHEN p ~ '^[=+\-@\t\r]' THEN '''' || p ELSE p END, '"', '""') || '"' END
$$;

CREATE FUNCTION examd_session_roster_csv(p_session bigint) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT E'\uFEFF' || 'username,name,department,grade,item,level,state,attempt_id,attempts,answered,questions,'
           || E'last_save,time_left_seconds,standard_score,band,override\r\n'
           || coalesce(string_agg(concat_ws(',', examd_csv_cell(r.username), examd_csv_cell(r.name),
                  examd_csv_cell(r.department), coalesce(r.grade::text, ''), r.item, coalesce(r.level, ''), r.state,
                  coalesce(r.attempt_id::text, ''), r.attempts::text, coalesce(r.answered::text, ''),
                  coalesce(r.questions::text, ''), coalesce(examd_ts(r.last_save), ''), coalesce(r.time_left::text, ''),
                  coalesce(r.standard_score::text, ''), coalesce(r.band::text, ''), examd_csv_cell(r.override)),
                  E'\r\n'), '') || CASE WHEN count(*) > 0 THEN E'\r\n' ELSE '' END
    FROM examd_session_roster_rows(p_session) r
$$;

-- Whether p_actor (role p_role) manages session p_session: its creator, hr, admin.
-- 'not_found', 'forbidden' or 'ok'.
CREATE FUNCTION examd_session_access(p_session bigint, p_actor text, p_role text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN s.id IS NULL THEN 'not_found'
                WHEN p_role IN ('hr', 'admin') OR s.created_by = p_actor THEN 'ok'
                ELSE 'forbidden' END
    FROM (SELECT 1) one LEFT JOIN exam_sessions s ON s.id = p_session
$$;

-- Voids an attempt (proctor): it never counts; the employee sees the reason. Session attempts by
-- the session's creator, hr or admin; other attempts by hr or admin. An open attempt is voided
-- as it stands (under the attempt's lock, so no save slips in afterwards).
CREATE FUNCTION examd_attempt_void(p_id bigint, p_reason text, p_actor text, p_role text, p_address text)
    RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    a attempts%ROWTYPE;
    v_access text;
BEGIN
    PERFORM pg_advisory_xact_lock(1703, (p_id % 2147483647)::int);
    SELECT * INTO a FROM attempts WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('error', 'not_found', 'message', 'no such attempt');
    END IF;
    v_access := CASE WHEN p_role IN ('hr', 'admin') THEN 'ok'
                     WHEN a.session_id IS NOT NULL THEN examd_session_access(a.session_id, p_actor, p_role)
                     ELSE 'forbidden' END;
    IF v_access <> 'ok' THEN
        RETURN jsonb_build_object('error', 'forbidden', 'message', 'only the session''s creator, hr or admin may void it');
    END IF;
    IF a.status = 'voided' THEN
        RETURN jsonb_build_object('error', 'conflict', 'message', 'the attempt is already void');
    END IF;
    IF p_reason IS NULL OR length(btrim(p_reason)) = 0 OR length(p_reason) > 500 THEN
        RETURN jsonb_build_object('error', 'validation_failed', 'message', 'a reason (1 to 500 characters) is required');
    END IF;
    UPDATE attempts SET status = 'voided', voided_at = now(), voided_by = p_actor, void_reason = p_reason,
                        submitted_at = coalesce(submitted_at, now())
    WHERE id = p_id;
    DELETE FROM attempt_cells WHERE attempt_id = p_id;
    DELETE FROM attempt_cells_pending WHERE attempt_id = p_id;
    INSERT INTO audit_log (actor, action, target, address, detail)
    VALUES (p_actor, 'attempt.void', 'attempt:' || p_id, p_address,
            jsonb_build_object('username', a.username, 'item', a.item, 'session', a.session_id,
                               'previous_status', a.status, 'reason', p_reason));
    RETURN jsonb_build_object('attempt_id', p_id);
END $$;

-- A blueprint with its practice setting (0002's document plus practice_allowed).
CREATE OR REPLACE FUNCTION examd_blueprint_json(p_item text, p_level text) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'item', b.item, 'level', b.level, 'time_limit_seconds', b.time_limit_seconds,
        'max_attempts', b.max_attempts, 'grading', b.grading, 'practice_allowed', b.practice_allowed,
        'draws', coalesce((SELECT jsonb_agg(jsonb_build_object(
                     'subtopic', d.subtopic, 'level', d.draw_level, 'count', d.count,
                     'available', (SELECT count(*) FROM questions q WHERE q.active AND q.item = d.item
                                   AND q.subtopic = d.subtopic AND q.level = d.draw_level))
                     ORDER BY d.position)
                   FROM blueprint_draws d WHERE d.item = b.item AND d.level = b.level), '[]'),
        'question_count', (SELECT coalesce(sum(count), 0) FROM blueprint_draws d
                           WHERE d.item = b.item AND d.level = b.level),
        'updated_at', examd_ts(b.updated_at), 'updated_by', b.updated_by)
    FROM blueprints b WHERE b.item = p_item AND b.level = p_level
$$;

-- examd_blueprint_put with the practice setting (NULL: keep it; a new blueprint allows practice).
CREATE FUNCTION examd_blueprint_put(p_item text, p_level text, p_time_limit int, p_max_attempts int,
                                    p_grading text, p_draws jsonb, p_actor text, p_address text, p_practice boolean)
    RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    out jsonb := examd_blueprint_put(p_item, p_level, p_time_limit, p_max_attempts, p_grading, p_draws, p_actor,
                                     p_address);
BEGIN
    IF out ? 'blueprint' AND p_practice IS NOT NULL THEN
        UPDATE blueprints SET practice_allowed = p_practice WHERE item = p_item AND level = p_level;
        out := jsonb_build_object('blueprint', examd_blueprint_json(p_item, p_level));
    END IF;
    RETURN out;
END $$;
