-- Typed results (issue #15): every function that can refuse returns a status (a short text code:
-- 'ok', 'created', 'not_found', 'attempt_closed', 'pool_too_small', ...) and payload columns, never
-- an error inside a JSON document. examd maps each status to the HTTP status and the SPEC error code
-- in one table (service/api/reply.c). The bodies are those of the migrations named at each function;
-- only how they answer changed. OUT parameters make each a one-row function:
-- SELECT status, message, body FROM examd_session_create(...).
--
-- #variable_conflict use_column: the OUT names (status, message, body, version, ...) are also
-- column names that the bodies use unqualified (attempts.status, model_versions.version).

-- Saving one answer (0016): status 'ok' (seq, stale, saved_at) or unauthenticated, forbidden,
-- not_found, attempt_closed, invalid_field (message); username names the session's user whenever it
-- was found (examd logs the save under it).
CREATE FUNCTION examd_answer_save_typed(p_token_hash text, p_idle int, p_attempt bigint, p_question bigint,
                                        p_answer jsonb, p_seq bigint, p_grace int, OUT status text,
                                        OUT username text, OUT message text, OUT seq bigint, OUT stale boolean,
                                        OUT saved_at text)
    LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    c record;
    last_label text;
    norm jsonb := p_answer;
    r record;
BEGIN
    -- Who is asking, and is the attempt theirs: before any lock, so that an unauthenticated or
    -- foreign caller waits for nothing and holds nothing.
    SELECT u.username, u.role, s.last_seen, a.id AS attempt
    INTO c
    FROM sessions s
    JOIN users u ON u.username = s.username
    LEFT JOIN attempts a ON a.id = p_attempt AND a.username = u.username
    WHERE s.token_hash = p_token_hash AND s.expires_at > now() AND u.active
      AND s.last_seen > now() - make_interval(secs => p_idle);
    IF NOT FOUND THEN
        status := 'unauthenticated';
        RETURN;
    END IF;
    IF c.role <> 'employee' THEN
        status := 'forbidden';
        username := c.username;
        RETURN;
    END IF;
    IF c.attempt IS NULL THEN
        status := 'not_found';
        username := c.username;
        message := 'no such attempt';
        RETURN;
    END IF;
    -- Then the attempt's lock (shared: saves run side by side, a close waits for them), and its
    -- state as it is under the lock.
    PERFORM pg_advisory_xact_lock_shared(1703, (p_attempt % 2147483647)::int);
    SELECT u.username, u.role, s.last_seen, a.id AS attempt, a.status, a.deadline, q.type,
           jsonb_array_length(q.options) AS n_options, q.question_id
    INTO c
    FROM sessions s
    JOIN users u ON u.username = s.username
    JOIN attempts a ON a.id = p_attempt AND a.username = u.username
    LEFT JOIN attempt_questions q ON q.attempt_id = a.id AND q.question_id = p_question
    WHERE s.token_hash = p_token_hash;
    IF NOT FOUND THEN
        status := 'unauthenticated';
        RETURN;
    END IF;
    IF c.last_seen < now() - interval '30 seconds' THEN
        UPDATE sessions SET last_seen = now() WHERE token_hash = p_token_hash;
    END IF;
    IF c.question_id IS NULL THEN
        status := 'not_found';
        username := c.username;
        message := 'this question is not part of the attempt';
        RETURN;
    END IF;
    IF c.status <> 'open' OR now() > c.deadline + make_interval(secs => p_grace) THEN
        status := 'attempt_closed';
        username := c.username;
        message := 'the attempt is closed; answers can no longer change';
        RETURN;
    END IF;
    IF p_answer IS NULL THEN
        status := 'invalid_field';
        username := c.username;
        message := 'the body must be {"answer": ..., "seq": n}';
        RETURN;
    END IF;
    -- Option labels are A.. in shown order: a label is one letter from 'A' to chr(64 + n).
    last_label := chr(64 + greatest(c.n_options, 1));
    IF jsonb_typeof(p_answer) = 'null' THEN
        norm := 'null'::jsonb;
    ELSIF c.type = 'single' THEN
        IF jsonb_typeof(p_answer) <> 'string' OR length(p_answer #>> '{}') <> 1
           OR (p_answer #>> '{}') NOT BETWEEN 'A' AND last_label COLLATE "C" THEN
            status := 'invalid_field';
            username := c.username;
            message := 'a single-choice answer is one option label from A to ' || last_label;
            RETURN;
        END IF;
    ELSIF c.type = 'multiple' THEN
        IF jsonb_typeof(p_answer) <> 'array' OR jsonb_array_length(p_answer) = 0
           OR EXISTS (SELECT 1 FROM jsonb_array_elements(p_answer) e
                      WHERE jsonb_typeof(e) <> 'string' OR length(e #>> '{}') <> 1
                         OR (e #>> '{}') NOT BETWEEN 'A' AND last_label COLLATE "C")
           OR (SELECT count(DISTINCT e) FROM jsonb_array_elements_text(p_answer) e) <> jsonb_array_length(p_answer) THEN
            status := 'invalid_field';
            username := c.username;
            message := 'a multiple-choice answer is a list of distinct option labels from A to ' || last_label;
            RETURN;
        END IF;
        SELECT jsonb_agg(e ORDER BY e) INTO norm FROM jsonb_array_elements_text(p_answer) e;
    ELSIF c.type = 'truefalse' THEN
        IF jsonb_typeof(p_answer) <> 'boolean' THEN
            status := 'invalid_field';
            username := c.username;
            message := 'a true/false answer is true or false';
            RETURN;
        END IF;
    ELSE
        IF jsonb_typeof(p_answer) <> 'string' OR length(p_answer #>> '{}') > 1000 THEN
            status := 'invalid_field';
            username := c.username;
            message := 'a fill-in answer is a text of at most 1000 characters';
            RETURN;
        END IF;
    END IF;
    INSERT INTO answers AS s (attempt_id, question_id, answer, seq, saved_at)
    VALUES (p_attempt, p_question, norm, coalesce(p_seq, 0), clock_timestamp())
    ON CONFLICT (attempt_id, question_id) DO UPDATE
        SET answer = EXCLUDED.answer, seq = CASE WHEN p_seq IS NULL THEN s.seq ELSE EXCLUDED.seq END,
            saved_at = EXCLUDED.saved_at
        WHERE p_seq IS NULL OR s.seq <= p_seq
    RETURNING s.seq, s.saved_at INTO r;
    IF NOT FOUND THEN
        SELECT s.seq, s.saved_at INTO r FROM answers s WHERE s.attempt_id = p_attempt AND s.question_id = p_question;
        stale := true;
    ELSE
        stale := false;
    END IF;
    status := 'ok';
    username := c.username;
    seq := r.seq;
    saved_at := examd_ts(r.saved_at);
END $$;

-- The JSON form of 0016 for SQL callers (psql, the ordering test in tests/integration/test_exams.py):
-- the same save, answered as before. examd itself calls examd_answer_save_typed.
CREATE OR REPLACE FUNCTION examd_answer_save_session(p_token_hash text, p_idle int, p_attempt bigint,
                                                     p_question bigint, p_answer jsonb, p_seq bigint, p_grace int)
    RETURNS jsonb LANGUAGE sql AS $$
    SELECT CASE WHEN s.status = 'ok'
                THEN jsonb_strip_nulls(jsonb_build_object('stale', CASE WHEN s.stale THEN true END, 'seq', s.seq,
                                                          'saved_at', s.saved_at, 'username', s.username))
                ELSE jsonb_strip_nulls(jsonb_build_object('error', s.status, 'message', s.message,
                                                          'username', s.username)) END
    FROM examd_answer_save_typed(p_token_hash, p_idle, p_attempt, p_question, p_answer, p_seq, p_grace) s
$$;

-- Saves in groups (0014), each save's typed outcome in its own row (i: its place in p_batch).
DROP FUNCTION examd_answer_save_batch(jsonb, int, int);
CREATE FUNCTION examd_answer_save_batch(p_batch jsonb, p_idle int, p_grace int)
    RETURNS TABLE (i int, status text, username text, message text, seq bigint, stale boolean, saved_at text)
    LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    e record;
BEGIN
    FOR e IN SELECT (x.o - 1)::int AS k, x.v
             FROM jsonb_array_elements(p_batch) WITH ORDINALITY AS x(v, o)
             ORDER BY x.v->>'t' COLLATE "C", (x.v->>'a')::bigint, (x.v->>'q')::bigint, x.o
    LOOP
        i := e.k;
        SELECT t.status, t.username, t.message, t.seq, t.stale, t.saved_at
        INTO status, username, message, seq, stale, saved_at
        FROM examd_answer_save_typed(e.v->>'t', p_idle, (e.v->>'a')::bigint, (e.v->>'q')::bigint,
                                     CASE WHEN e.v ? 'v' THEN e.v->'v' END, (e.v->>'s')::bigint, p_grace) t;
        RETURN NEXT;
    END LOOP;
END $$;

-- Starting or resuming an attempt (0021): status 'created' or 'resumed' (attempt_id), 'expired'
-- (attempt_id: an open attempt past its time that examd closes first), or a refusal (message):
-- not_found, not_open, closed, invalid_field, conflict (attempt_id: the open one), exam_unavailable,
-- attempts_exhausted.
DROP FUNCTION examd_attempt_start(text, text, int);
DROP FUNCTION examd_attempt_begin(text, text, int, text, bigint);
CREATE FUNCTION examd_attempt_begin(p_username text, p_item text, p_grace int, p_mode text, p_session bigint,
                                    OUT status text, OUT message text, OUT attempt_id bigint)
    LANGUAGE plpgsql AS $$
#variable_conflict use_column
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
            status := 'not_found';
            message := 'no such session';
            RETURN;
        END IF;
        SELECT * INTO ov FROM exam_session_overrides WHERE session_id = p_session AND username = p_username;
        v_closes := coalesce(ov.closes_at, s.closes_at);
        IF now() < coalesce(ov.opens_at, s.opens_at) THEN
            status := 'not_open';
            message := 'the session opens at ' || examd_ts(coalesce(ov.opens_at, s.opens_at));
            RETURN;
        END IF;
        IF now() > v_closes THEN
            status := 'closed';
            message := 'the session closed at ' || examd_ts(v_closes);
            RETURN;
        END IF;
        IF p_item IS NULL THEN
            SELECT min(item) INTO p_item FROM exam_session_items WHERE session_id = p_session HAVING count(*) = 1;
            IF p_item IS NULL THEN
                status := 'invalid_field';
                message := 'this session has several exams: the body must name the item';
                RETURN;
            END IF;
            PERFORM pg_advisory_xact_lock(hashtextextended('attempt:' || p_username || ':' || p_item, 0));
        END IF;
        SELECT coalesce(i.level, examd_required_level(p_username, i.item, now())) INTO v_level
        FROM exam_session_items i WHERE i.session_id = p_session AND i.item = p_item;
        IF NOT FOUND THEN
            status := 'invalid_field';
            message := 'this exam is not part of the session';
            RETURN;
        END IF;
    ELSE
        v_level := examd_required_level(p_username, p_item, now());
    END IF;
    SELECT * INTO v_open FROM attempts WHERE username = p_username AND item = p_item AND status = 'open';
    IF FOUND THEN
        IF now() > v_open.deadline + make_interval(secs => p_grace) THEN
            status := 'expired';
            attempt_id := v_open.id;
            RETURN;
        END IF;
        -- The SPEC's start resumes whatever attempt at this exam is open; practice and session starts
        -- do not take over an attempt of another kind.
        IF p_mode <> 'exam' AND (v_open.mode <> p_mode OR v_open.session_id IS DISTINCT FROM p_session) THEN
            status := 'conflict';
            message := 'another attempt at this exam is open: submit it first';
            attempt_id := v_open.id;
            RETURN;
        END IF;
        status := 'resumed';
        attempt_id := v_open.id;
        RETURN;
    END IF;
    v_version := examd_model_version_at(now());
    IF v_level IS NULL THEN
        status := 'exam_unavailable';
        message := 'you have no grade, so no exam level applies';
        RETURN;
    END IF;
    SELECT * INTO bp FROM blueprints WHERE item = p_item AND level = v_level;
    IF NOT FOUND THEN
        status := 'exam_unavailable';
        message := 'no blueprint exists for this exam at level ' || v_level;
        RETURN;
    END IF;
    IF p_mode = 'session' THEN
        SELECT count(*) INTO v_used FROM attempts
        WHERE session_id = p_session AND username = p_username AND item = p_item AND status <> 'voided';
        IF v_used >= s.attempts_allowed + coalesce(ov.extra_attempts, 0) THEN
            status := 'attempts_exhausted';
            message := format('all %s attempts of this session are used', s.attempts_allowed + coalesce(ov.extra_attempts, 0));
            RETURN;
        END IF;
    ELSIF p_mode = 'practice' THEN
        IF NOT bp.practice_allowed THEN
            status := 'exam_unavailable';
            message := 'free practice is off for this exam';
            RETURN;
        END IF;
    ELSE
        SELECT count(*) INTO v_used FROM attempts
        WHERE username = p_username AND item = p_item AND level = v_level AND mode = 'exam' AND status <> 'voided';
        IF v_used >= bp.max_attempts THEN
            status := 'attempts_exhausted';
            message := format('all %s attempts at this exam are used', bp.max_attempts);
            RETURN;
        END IF;
    END IF;
    SELECT count(*) INTO v_short FROM blueprint_draws d
    WHERE d.item = bp.item AND d.level = bp.level
      AND (SELECT count(*) FROM questions q WHERE q.active AND q.item = d.item AND q.subtopic = d.subtopic
           AND q.level = d.draw_level) < d.count;
    IF v_short > 0 THEN
        status := 'exam_unavailable';
        message := 'the question pool no longer fills this exam; tell the trainers';
        RETURN;
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
    status := 'created';
    attempt_id := v_id;
END $$;


CREATE FUNCTION examd_attempt_start(p_username text, p_item text, p_grace int,
                                    OUT status text, OUT message text, OUT attempt_id bigint)
    LANGUAGE sql AS $$
    SELECT * FROM examd_attempt_begin(p_username, p_item, p_grace, 'exam', NULL)
$$;

-- Sessions (0021): status 'ok' with the session (body), or invalid_field / validation_failed (message).
DROP FUNCTION examd_session_create(jsonb, text, text);
CREATE FUNCTION examd_session_create(p_body jsonb, p_actor text, p_address text,
                                     OUT status text, OUT message text, OUT body jsonb)
    LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_opens timestamptz := examd_try_ts(p_body->>'opens_at');
    v_closes timestamptz := examd_try_ts(p_body->>'closes_at');
    v_id bigint;
    v_bad text;
BEGIN
    IF v_opens IS NULL OR v_closes IS NULL THEN
        status := 'invalid_field';
        message := 'opens_at and closes_at must be RFC 3339 times';
        RETURN;
    END IF;
    IF v_closes <= v_opens THEN
        status := 'validation_failed';
        message := 'closes_at must be after opens_at';
        RETURN;
    END IF;
    IF v_closes <= now() THEN
        status := 'validation_failed';
        message := 'closes_at is in the past';
        RETURN;
    END IF;
    SELECT u INTO v_bad FROM jsonb_array_elements_text(coalesce(p_body #> '{cohort,usernames}', '[]')) u
    WHERE NOT EXISTS (SELECT 1 FROM users x WHERE x.username = u AND x.role = 'employee') LIMIT 1;
    IF v_bad IS NOT NULL THEN
        status := 'validation_failed';
        message := 'no employee is called ' || v_bad;
        RETURN;
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
    status := 'ok';
    body := examd_session_json(v_id, NULL);
END $$;


-- Overrides (0021): status 'ok' with the override (body), or invalid_field / validation_failed.
DROP FUNCTION examd_session_override_put(bigint, jsonb, text, text);
CREATE FUNCTION examd_session_override_put(p_session bigint, p_body jsonb, p_actor text, p_address text,
                                           OUT status text, OUT message text, OUT body jsonb)
    LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_user text := p_body->>'username';
    v_opens timestamptz := examd_try_ts(p_body->>'opens_at');
    v_closes timestamptz := examd_try_ts(p_body->>'closes_at');
BEGIN
    IF (p_body ? 'opens_at' AND p_body->'opens_at' <> 'null' AND v_opens IS NULL)
       OR (p_body ? 'closes_at' AND p_body->'closes_at' <> 'null' AND v_closes IS NULL) THEN
        status := 'invalid_field';
        message := 'opens_at and closes_at must be RFC 3339 times';
        RETURN;
    END IF;
    IF NOT examd_session_invited(p_session, v_user) THEN
        status := 'validation_failed';
        message := v_user || ' is not invited to this session';
        RETURN;
    END IF;
    IF v_opens IS NOT NULL AND v_closes IS NOT NULL AND v_closes <= v_opens THEN
        status := 'validation_failed';
        message := 'closes_at must be after opens_at';
        RETURN;
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
    status := 'ok';
    body := examd_session_overrides_json(p_session, v_user)->0;
END $$;


-- Voiding an attempt (0021): status 'ok', or not_found, forbidden, conflict, validation_failed (message).
DROP FUNCTION examd_attempt_void(bigint, text, text, text, text);
CREATE FUNCTION examd_attempt_void(p_id bigint, p_reason text, p_actor text, p_role text, p_address text,
                                   OUT status text, OUT message text)
    LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    a attempts%ROWTYPE;
    v_access text;
BEGIN
    PERFORM pg_advisory_xact_lock(1703, (p_id % 2147483647)::int);
    SELECT * INTO a FROM attempts WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        status := 'not_found';
        message := 'no such attempt';
        RETURN;
    END IF;
    v_access := CASE WHEN p_role IN ('hr', 'admin') THEN 'ok'
                     WHEN a.session_id IS NOT NULL THEN examd_session_access(a.session_id, p_actor, p_role)
                     ELSE 'forbidden' END;
    IF v_access <> 'ok' THEN
        status := 'forbidden';
        message := 'only the session''s creator, hr or admin may void it';
        RETURN;
    END IF;
    IF a.status = 'voided' THEN
        status := 'conflict';
        message := 'the attempt is already void';
        RETURN;
    END IF;
    IF p_reason IS NULL OR length(btrim(p_reason)) = 0 OR length(p_reason) > 500 THEN
        status := 'validation_failed';
        message := 'a reason (1 to 500 characters) is required';
        RETURN;
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
    status := 'ok';
END $$;


-- Blueprints (0002, 0021): status 'ok' with the blueprint (body), or 'pool_too_small' with the draw
-- rows the active pool cannot fill (body), nothing written.
DROP FUNCTION examd_blueprint_put(text, text, int, int, text, jsonb, text, text, boolean);
DROP FUNCTION examd_blueprint_put(text, text, int, int, text, jsonb, text, text);
CREATE FUNCTION examd_blueprint_put(p_item text, p_level text, p_time_limit int, p_max_attempts int,
                                    p_grading text, p_draws jsonb, p_actor text, p_address text,
                                    OUT status text, OUT message text, OUT body jsonb)
    LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    shortages jsonb;
BEGIN
    PERFORM pg_advisory_xact_lock(7311560234407012002);
    SELECT jsonb_agg(jsonb_build_object('row', o, 'subtopic', d->>'subtopic', 'level', d->>'level',
                                        'count', (d->>'count')::int, 'available', avail) ORDER BY o)
    INTO shortages
    FROM jsonb_array_elements(p_draws) WITH ORDINALITY AS t(d, o),
         LATERAL (SELECT count(*) AS avail FROM questions q WHERE q.active AND q.item = p_item
                  AND q.subtopic = d->>'subtopic' AND q.level = d->>'level') a
    WHERE avail < (d->>'count')::int;
    IF shortages IS NOT NULL THEN
        status := 'pool_too_small';
        message := 'the active questions cannot fill every draw row';
        body := shortages;
        RETURN;
    END IF;
    INSERT INTO blueprints (item, level, time_limit_seconds, max_attempts, grading, updated_at, updated_by)
    VALUES (p_item, p_level, p_time_limit, p_max_attempts, p_grading, now(), p_actor)
    ON CONFLICT (item, level) DO UPDATE SET time_limit_seconds = EXCLUDED.time_limit_seconds,
        max_attempts = EXCLUDED.max_attempts, grading = EXCLUDED.grading, updated_at = now(),
        updated_by = EXCLUDED.updated_by;
    DELETE FROM blueprint_draws WHERE item = p_item AND level = p_level;
    INSERT INTO blueprint_draws (item, level, position, subtopic, draw_level, count)
    SELECT p_item, p_level, o, d->>'subtopic', d->>'level', (d->>'count')::int
    FROM jsonb_array_elements(p_draws) WITH ORDINALITY AS t(d, o);
    INSERT INTO audit_log (actor, action, target, address, detail)
    VALUES (p_actor, 'blueprint.put', 'blueprint:' || p_item || '/' || p_level, p_address,
            jsonb_build_object('time_limit_seconds', p_time_limit, 'max_attempts', p_max_attempts,
                               'grading', p_grading, 'draws', p_draws));
    status := 'ok';
    body := examd_blueprint_json(p_item, p_level);
END $$;

-- With the practice setting (0021; NULL: keep it; a new blueprint allows practice).
CREATE FUNCTION examd_blueprint_put(p_item text, p_level text, p_time_limit int, p_max_attempts int,
                                    p_grading text, p_draws jsonb, p_actor text, p_address text, p_practice boolean,
                                    OUT status text, OUT message text, OUT body jsonb)
    LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    SELECT p.status, p.message, p.body INTO status, message, body
    FROM examd_blueprint_put(p_item, p_level, p_time_limit, p_max_attempts, p_grading, p_draws, p_actor,
                             p_address) p;
    IF status = 'ok' AND p_practice IS NOT NULL THEN
        UPDATE blueprints SET practice_allowed = p_practice WHERE item = p_item AND level = p_level;
        body := examd_blueprint_json(p_item, p_level);
    END IF;
END $$;

-- Retiring a question (0002): status 'ok' with {"question", "blueprint_warnings"} (body), or not_found.
DROP FUNCTION examd_question_retire(bigint, text, text);
CREATE FUNCTION examd_question_retire(p_id bigint, p_actor text, p_address text,
                                      OUT status text, OUT message text, OUT body jsonb)
    LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    q questions%ROWTYPE;
BEGIN
    PERFORM pg_advisory_xact_lock(7311560234407012002);
    SELECT * INTO q FROM questions WHERE id = p_id;
    IF NOT FOUND THEN
        status := 'not_found';
        message := 'no such question';
        RETURN;
    END IF;
    IF q.active THEN
        UPDATE questions SET active = false, retired_at = now() WHERE id = p_id RETURNING * INTO q;
        INSERT INTO audit_log (actor, action, target, address, detail)
        VALUES (p_actor, 'question.retire', 'question:' || p_id, p_address,
                jsonb_build_object('external_id', q.external_id));
    END IF;
    status := 'ok';
    body := jsonb_build_object(
        'question', examd_question_json(q),
        'blueprint_warnings', coalesce((
            SELECT jsonb_agg(jsonb_build_object('item', d.item, 'level', d.level, 'subtopic', d.subtopic,
                                                'draw_level', d.draw_level, 'count', d.count,
                                                'available', a.avail) ORDER BY d.item, d.level, d.position)
            FROM blueprint_draws d,
                 LATERAL (SELECT count(*) AS avail FROM questions x WHERE x.active AND x.item = d.item
                          AND x.subtopic = d.subtopic AND x.level = d.draw_level) a
            WHERE d.item = q.item AND d.subtopic = q.subtopic AND d.draw_level = q.level AND a.avail < d.count),
            '[]'));
END $$;


-- A new model version (0004): status 'ok' with its number (version), or validation_failed (message).
DROP FUNCTION examd_model_version_create(jsonb, text, text);
CREATE FUNCTION examd_model_version_create(p jsonb, p_actor text, p_address text,
                                           OUT status text, OUT message text, OUT version int)
    LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_prev int;
    v_new int;
    v_eff timestamptz := coalesce((p->>'effective_from')::timestamptz, now());
BEGIN
    IF v_eff < now() THEN
        status := 'validation_failed';
        message := 'effective_from is in the past: history is never rewritten';
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock(7311560234407012003);
    SELECT max(version) INTO v_prev FROM model_versions;
    v_new := v_prev + 1;
    INSERT INTO model_versions (version, effective_from, note, created_by) VALUES (v_new, v_eff, p->>'note', p_actor);
    INSERT INTO model_required_levels (version, grade, item, level)
    SELECT v_new, r.grade, r.item, coalesce(o.level, r.level)
    FROM model_required_levels r
    LEFT JOIN LATERAL (SELECT e->>'level' AS level FROM jsonb_array_elements(coalesce(p->'required_levels', '[]')) e
                       WHERE (e->>'grade')::int = r.grade AND e->>'item' = r.item LIMIT 1) o ON true
    WHERE r.version = v_prev;
    INSERT INTO model_subtopic_weights (version, item, level, subtopic, weight)
    SELECT v_new, w.item, w.level, w.subtopic, coalesce(o.weight, w.weight)
    FROM model_subtopic_weights w
    LEFT JOIN LATERAL (SELECT (e->'weights'->>w.subtopic)::numeric AS weight
                       FROM jsonb_array_elements(coalesce(p->'subtopic_weights', '[]')) e
                       WHERE e->>'item' = w.item AND e->>'level' = w.level LIMIT 1) o ON true
    WHERE w.version = v_prev;
    IF p ? 'exam_bands' AND jsonb_typeof(p->'exam_bands') = 'array' THEN
        INSERT INTO model_exam_bands (version, score, min)
        SELECT v_new, (e->>'score')::int, (e->>'min')::numeric FROM jsonb_array_elements(p->'exam_bands') e;
    ELSE
        INSERT INTO model_exam_bands (version, score, min)
        SELECT v_new, score, min FROM model_exam_bands WHERE version = v_prev;
    END IF;
    INSERT INTO model_rater_weights (version, relation, weight)
    SELECT v_new, w.relation, coalesce((p->'rater_weights'->>w.relation)::numeric, w.weight)
    FROM model_rater_weights w WHERE w.version = v_prev;
    INSERT INTO audit_log (actor, action, target, address, detail)
    VALUES (p_actor, 'model.version', 'model_version:' || v_new, p_address, p);
    status := 'ok';
    version := v_new;
END $$;


-- Importing ratings (0023): status 'ok' (created), or 'rows_rejected' with the row errors (errors),
-- nothing written.
DROP FUNCTION examd_ratings_import(jsonb, text, text);
CREATE FUNCTION examd_ratings_import(p_rows jsonb, p_actor text, p_address text,
                                     OUT status text, OUT created int, OUT errors jsonb)
    LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    errors := examd_ratings_check(p_rows);
    IF errors IS NOT NULL THEN
        status := 'rows_rejected';
        created := 0;
        RETURN;
    END IF;
    INSERT INTO behaviour_ratings (employee, item, score, rater, relation, period, rated_level, rated_at, note)
    SELECT r->>'employee', r->>'item', (r->>'score')::smallint, r->>'rater', r->>'relation', r->>'period',
           r->>'rated_level', coalesce((r->>'rated_at')::timestamptz, now()), r->>'note'
    FROM jsonb_array_elements(p_rows) r;
    GET DIAGNOSTICS created = ROW_COUNT;
    INSERT INTO audit_log (actor, action, target, address, detail)
    VALUES (p_actor, 'ratings.import', 'behaviour_ratings', p_address, jsonb_build_object('created', created));
    status := 'ok';
END $$;

