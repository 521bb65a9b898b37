-- Exam attempts: the draw and start, answer saves, closing and scoring input, the exams list.
--
-- Repeatable: examd migrate re-applies this file (CREATE OR REPLACE) whenever its checksum
-- changes, after the numbered migrations; see migrations/README.md.

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
                                  THEN greatest(0, floor(extract(epoch FROM a.deadline - now())))::bigint ELSE 0 END,
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
                    -- "counted": null is the place that api/attempts.c fills from the rules module
                    -- (domain/rules.c) with true or false; practice and voided attempts never count.
                    ((a.result - 'question_scores') || jsonb_build_object('counted',
                        CASE WHEN a.status IN ('practice', 'voided') THEN false END))::json END)
    FROM attempts a
    LEFT JOIN exam_sessions s ON s.id = a.session_id
    LEFT JOIN exam_session_overrides o ON o.session_id = a.session_id AND o.username = a.username
    CROSS JOIN LATERAL (SELECT r.reveal, r.reveal IS NOT NULL AND now() < r.reveal AND a.status <> 'open' AS hidden
                        FROM (SELECT CASE WHEN a.session_id IS NOT NULL
                                          THEN examd_session_reveal_at(a.session_id) END AS reveal) r) h
    WHERE a.id = p_id
$$;

-- What the scorer needs: the snapshot with keys and the saved answers, the weights of (item,
-- level) and the bands of the attempt's model version, and the answers_version it reflects.
CREATE OR REPLACE FUNCTION examd_attempt_scoring_input(p_id bigint) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'attempt_id', a.id, 'status', a.status, 'answers_version', examd_answers_digest(a.id),
        'questions', coalesce((SELECT json_agg(json_build_object('id', q.question_id, 'subtopic', q.subtopic,
                                  'type', q.type, 'points', q.points::text, 'key', q.answer, 'answer', s.answer)
                                  ORDER BY q.position)
                               FROM attempt_questions q
                               LEFT JOIN answers s ON s.attempt_id = q.attempt_id AND s.question_id = q.question_id
                               WHERE q.attempt_id = a.id), '[]'),
        'weights', coalesce((SELECT json_object_agg(w.subtopic, w.weight::text) FROM model_subtopic_weights w
                             WHERE w.version = a.model_version AND w.item = a.item AND w.level = a.level), '{}'),
        'bands', (SELECT json_agg(json_build_object('score', b.score, 'min', b.min::text) ORDER BY b.score DESC)
                  FROM model_exam_bands b WHERE b.version = a.model_version))
    FROM attempts a WHERE a.id = p_id
$$;

-- Closes an open attempt with the score computed for answers_version p_version. Returns 'closed'
-- (done now), 'already' (closed before) or 'changed' (an answer arrived meanwhile: score again).
-- p_status is the caller's wish; past deadline + grace it is always auto_submitted. p_result is the
-- scorer's output (decimals as strings); it is stored with exact numerics.
CREATE OR REPLACE FUNCTION examd_attempt_close(p_id bigint, p_version bigint, p_status text, p_grace int, p_result jsonb,
                                    p_actor text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    a attempts%ROWTYPE;
    v_status text;
    v_score numeric := (p_result->>'standard_score')::numeric;
    v_band int := (p_result->>'band')::int;
BEGIN
    -- Waits for every save in flight (they hold the lock shared) and keeps new ones out until commit.
    PERFORM pg_advisory_xact_lock(1703, (p_id % 2147483647)::int);
    SELECT * INTO a FROM attempts WHERE id = p_id FOR UPDATE;
    IF NOT FOUND OR a.status <> 'open' THEN
        RETURN 'already';
    END IF;
    -- Under the lock every save that got in has committed: its answer is in the digest.
    IF examd_answers_digest(p_id) <> p_version THEN
        RETURN 'changed';
    END IF;
    v_status := CASE WHEN now() > a.deadline + make_interval(secs => p_grace) THEN 'auto_submitted' ELSE p_status END;
    UPDATE attempts SET status = v_status, submitted_at = now(), standard_score = v_score, band = v_band,
        result = jsonb_build_object(
            'status', v_status, 'submitted_at', examd_ts(now()), 'standard_score', v_score, 'band', v_band,
            'band_name_zh', p_result->>'band_name_zh', 'model_version', a.model_version,
            'equal_weights', p_result->'equal_weights',
            'subtopic_scores', coalesce((SELECT jsonb_agg(jsonb_build_object(
                    'subtopic', e->>'subtopic', 'questions', (e->>'questions')::int,
                    'earned', (e->>'earned')::numeric, 'possible', (e->>'possible')::numeric,
                    'score', (e->>'score')::numeric, 'weight', (e->>'weight')::numeric)
                    ORDER BY (SELECT s.position FROM model_subtopics s WHERE s.code = e->>'subtopic'), o)
                FROM jsonb_array_elements(p_result->'subtopic_scores') WITH ORDINALITY AS t(e, o)), '[]'),
            'question_scores', p_result->'question_scores')
    WHERE id = p_id;
    INSERT INTO audit_log (actor, action, target, detail)
    VALUES (p_actor, 'attempt.' || v_status, 'attempt:' || p_id,
            jsonb_build_object('username', a.username, 'item', a.item, 'level', a.level,
                               'standard_score', v_score, 'band', v_band));
    RETURN 'closed';
END $$;

-- The exams open to an employee (0003), with what a session or practice adds: practice attempts
-- never count (practice_counts false); sessions of the item that are open or upcoming. Which attempt
-- counts is decided in C (counted_result is null here). The level of each exam and whether a session
-- invites the employee come from p_now (examd_now_level, migrations/functions/model.sql).
CREATE OR REPLACE FUNCTION examd_exams_for(p_username text, p_now jsonb) RETURNS json LANGUAGE sql STABLE AS $$
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
        -- the place that api/attempts.c fills with the counted result the rules module decides
        -- (domain/rules.c, on examd_exam_evidence)
        'counted_result', NULL,
        'practice_allowed', b.practice_allowed, 'practice_counts', false,
        'practice_attempts_used', (SELECT count(*) FROM attempts a WHERE a.username = p_username
                                   AND a.item = b.item AND a.mode = 'practice'),
        'sessions', (SELECT coalesce(json_agg(json_build_object('id', s.id, 'title', s.title,
                                'opens_at', examd_ts(coalesce(o.opens_at, s.opens_at)),
                                'closes_at', examd_ts(coalesce(o.closes_at, s.closes_at))) ORDER BY s.opens_at), '[]')
                     FROM exam_sessions s JOIN exam_session_items si ON si.session_id = s.id AND si.item = i.code
                     LEFT JOIN exam_session_overrides o ON o.session_id = s.id AND o.username = p_username
                     WHERE coalesce(o.closes_at, s.closes_at) > now() AND examd_session_invited(s.id, p_username, p_now)))
        ORDER BY i.position), '[]'))
    FROM model_items i
    JOIN blueprints b ON b.item = i.code AND b.level = examd_now_level(p_now, p_username, i.code)
    WHERE i.assessment = 'exam'
$$;

CREATE OR REPLACE FUNCTION examd_answers_digest(p_attempt bigint) RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT coalesce(hashtextextended(string_agg(s.question_id::text || '=' || s.answer::text, ','
                                                ORDER BY s.question_id), 0), 0)
    FROM answers s WHERE s.attempt_id = p_attempt
$$;

-- A practice attempt closes as 'practice' (see above); its result keeps submitted/auto_submitted.
CREATE OR REPLACE FUNCTION examd_attempt_practice_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.mode = 'practice' AND NEW.status IN ('submitted', 'auto_submitted') THEN
        NEW.status := 'practice';
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE TRIGGER attempts_practice_status BEFORE UPDATE OF status ON attempts
    FOR EACH ROW WHEN (NEW.mode = 'practice') EXECUTE FUNCTION examd_attempt_practice_status();

-- Saving one answer (0016): status 'ok' (seq, stale, saved_at) or unauthenticated, forbidden,
-- not_found, attempt_closed, invalid_field (message); username names the session's user whenever it
-- was found (examd logs the save under it).
CREATE OR REPLACE FUNCTION examd_answer_save_typed(p_token_hash text, p_idle int, p_attempt bigint, p_question bigint,
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

-- Saving a group of answers in one statement and one transaction (issue #20; replaced the per-save
-- loop examd_answer_save_batch of 0014). Row o of the arrays is one save; its outcome row has
-- i = o - 1 and the columns of examd_answer_save_typed.
--
-- p_checked[o]: examd has already checked the save in memory against the attempt's questions
-- (question id, option labels, type; examd keeps each attempt's question snapshot, which never
-- changes) and normalised the answer, and it carries a seq; no other save of the group has the same
-- attempt and question. Such saves go in one set-wise upsert guarded by everything that can change:
-- the session (exists, not expired or idle, its user active and an employee), the attempt's owner,
-- and the attempt still open and within deadline + grace, read under the attempts' save locks
-- (shared, taken first in attempt order; a close takes the lock exclusively, see
-- examd_attempt_close), so a save either commits before a close or sees it. Every other save, and a
-- checked save that fails the guard, goes through examd_answer_save_typed, which names the
-- refusal; the statuses and their precedence are that function's.
--
-- p_locks: the distinct attempts of the checked saves in ascending order (examd sorts them: every
-- transaction that locks several attempts takes them in that order). p_touch[o]: examd asks for the
-- session's last_seen to be refreshed with this save (it has not done so for this session and
-- attempt for a while, api/shapes.c); only a session that is still valid is touched, so a touch
-- never revives an idle or expired one. A stale save (a newer seq is stored, perhaps committed
-- after this statement began) keeps the stored row: its update writes the stored values back and
-- returns them, so the reply names the stored seq and saved_at without another read.
-- p_epochs and p_until (issue #20, api/trust.c): a checked save that examd trusts from memory carries
-- the revocation counter its process had applied (auth_epoch, migration 0030) and the time its session
-- stops being valid (expiry or idle limit, as this function last reported it). While the counter is
-- unchanged no session has ended since that check, so such a save skips the session and user rows and
-- is guarded by its attempt alone (open, within deadline + grace, under the save lock as before). Every
-- other checked save is checked in full and reports, for examd to remember, the counter and that time
-- as read by the same statement. The touch of last_seen goes with the full check.
CREATE OR REPLACE FUNCTION examd_answer_save_group(p_tokens text[], p_attempts bigint[], p_questions bigint[],
                                        p_answers text[], p_seqs bigint[], p_checked boolean[], p_idle int,
                                        p_grace int, p_locks bigint[], p_touch boolean[], p_epochs bigint[],
                                        p_until double precision[])
    RETURNS TABLE (i int, status text, username text, message text, seq bigint, stale boolean, saved_at text,
                   epoch bigint, valid_until double precision)
    LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    e record;
    done int[] := '{}';
BEGIN
    IF true = ANY (p_checked) THEN
        -- The locks in their own statement: the guard below then reads the attempts with a snapshot
        -- taken after every close that held one of them has committed.
        PERFORM pg_advisory_xact_lock_shared(1703, (l % 2147483647)::int)
        FROM unnest(coalesce(p_locks, ARRAY(SELECT DISTINCT u.a FROM unnest(p_attempts, p_checked) AS u(a, c)
                                            WHERE u.c ORDER BY u.a))) AS l;
        IF true = ANY (p_touch) THEN
            -- Session rows locked in token order first, so that two groups touching the same
            -- sessions wait for each other instead of deadlocking.
            PERFORM 1 FROM sessions se
            WHERE se.token_hash = ANY (ARRAY(SELECT u.t FROM unnest(p_tokens, p_touch, p_checked) AS u(t, c, k)
                                             WHERE u.c AND u.k))
            ORDER BY se.token_hash COLLATE "C" FOR NO KEY UPDATE OF se;
            UPDATE sessions se SET last_seen = now()
            FROM unnest(p_tokens, p_touch, p_checked) AS u(t, c, k)
            WHERE u.c AND u.k AND se.token_hash = u.t AND se.expires_at > now()
              AND se.last_seen > now() - make_interval(secs => p_idle)
              AND se.last_seen < now() - interval '30 seconds';
        END IF;
        FOR e IN
            WITH ep AS (SELECT n FROM auth_epoch WHERE one),
            x AS (SELECT (u.o - 1)::int AS k, u.t, u.a, u.q, u.v::jsonb AS v, u.s,
                         coalesce(u.e = (SELECT n FROM ep) AND NOT u.h AND now() < to_timestamp(u.w), false) AS fast
                  FROM unnest(p_tokens, p_attempts, p_questions, p_answers, p_seqs, p_checked,
                              coalesce(p_touch, p_checked), coalesce(p_epochs, '{}'), coalesce(p_until, '{}'))
                       WITH ORDINALITY AS u(t, a, q, v, s, c, h, e, w, o)
                  WHERE u.c),
            ok AS (SELECT x.k, x.a, x.q, x.v, x.s, a.username AS who, NULL::double precision AS until
                   FROM x JOIN attempts a ON a.id = x.a
                   WHERE x.fast AND a.status = 'open' AND now() <= a.deadline + make_interval(secs => p_grace)
                   UNION ALL
                   SELECT x.k, x.a, x.q, x.v, x.s, us.username,
                          extract(epoch FROM least(se.expires_at, se.last_seen + make_interval(secs => p_idle)))::double precision
                   FROM x
                   JOIN sessions se ON se.token_hash = x.t
                   JOIN users us ON us.username = se.username
                   JOIN attempts a ON a.id = x.a AND a.username = us.username
                   WHERE NOT x.fast AND se.expires_at > now() AND us.active AND us.role = 'employee'
                     AND se.last_seen > now() - make_interval(secs => p_idle)
                     AND a.status = 'open' AND now() <= a.deadline + make_interval(secs => p_grace)),
            ins AS (INSERT INTO answers AS s (attempt_id, question_id, answer, seq, saved_at)
                    SELECT ok.a, ok.q, ok.v, ok.s, clock_timestamp() FROM ok
                    ON CONFLICT (attempt_id, question_id) DO UPDATE
                        SET answer = CASE WHEN s.seq <= EXCLUDED.seq THEN EXCLUDED.answer ELSE s.answer END,
                            saved_at = CASE WHEN s.seq <= EXCLUDED.seq THEN EXCLUDED.saved_at ELSE s.saved_at END,
                            seq = greatest(s.seq, EXCLUDED.seq)
                    RETURNING s.attempt_id, s.question_id, s.seq, s.saved_at)
            SELECT ok.k, ok.s, ok.who, ok.until, ins.seq, ins.saved_at, (SELECT n FROM ep) AS n
            FROM ok JOIN ins ON ins.attempt_id = ok.a AND ins.question_id = ok.q
        LOOP
            i := e.k;
            status := 'ok';
            username := e.who;
            message := NULL;
            seq := e.seq;
            stale := e.seq > e.s;
            saved_at := examd_ts(e.saved_at);
            epoch := e.n;
            valid_until := e.until;
            done := done || e.k;
            RETURN NEXT;
        END LOOP;
    END IF;
    IF cardinality(done) = cardinality(p_tokens) THEN
        RETURN;
    END IF;
    epoch := NULL;
    valid_until := NULL;
    FOR e IN SELECT (u.o - 1)::int AS k, u.t, u.a, u.q, u.v, u.s
             FROM unnest(p_tokens, p_attempts, p_questions, p_answers, p_seqs) WITH ORDINALITY AS u(t, a, q, v, s, o)
             WHERE NOT ((u.o - 1)::int = ANY (done))
             ORDER BY u.t COLLATE "C", u.a, u.q, u.o
    LOOP
        i := e.k;
        SELECT t.status, t.username, t.message, t.seq, t.stale, t.saved_at
        INTO status, username, message, seq, stale, saved_at
        FROM examd_answer_save_typed(e.t, p_idle, e.a, e.q, e.v::jsonb, e.s, p_grace) t;
        RETURN NEXT;
    END LOOP;
END $$;

-- The parameter list of 59ef049 and before (no trust from memory), for processes of those versions
-- during a rolling restart. Drop it in a later release.
CREATE OR REPLACE FUNCTION examd_answer_save_group(p_tokens text[], p_attempts bigint[], p_questions bigint[],
                                        p_answers text[], p_seqs bigint[], p_checked boolean[], p_idle int,
                                        p_grace int, p_locks bigint[], p_touch boolean[])
    RETURNS TABLE (i int, status text, username text, message text, seq bigint, stale boolean, saved_at text)
    LANGUAGE sql AS $$
    SELECT g.i, g.status, g.username, g.message, g.seq, g.stale, g.saved_at
    FROM examd_answer_save_group(p_tokens, p_attempts, p_questions, p_answers, p_seqs, p_checked, p_idle, p_grace,
                                 p_locks, p_touch, NULL, NULL) g
$$;

-- The parameter list of 20c5ca2 and before, for processes of those versions during a rolling
-- restart: the function finds the attempts to lock itself (p_locks NULL) and every checked save asks
-- for the touch (the database refreshes last_seen only when it is over 30 s old, as it did then).
-- Drop it in a later release.
CREATE OR REPLACE FUNCTION examd_answer_save_group(p_tokens text[], p_attempts bigint[], p_questions bigint[],
                                        p_answers text[], p_seqs bigint[], p_checked boolean[], p_idle int,
                                        p_grace int)
    RETURNS TABLE (i int, status text, username text, message text, seq bigint, stale boolean, saved_at text)
    LANGUAGE sql AS $$
    SELECT * FROM examd_answer_save_group(p_tokens, p_attempts, p_questions, p_answers, p_seqs, p_checked, p_idle,
                                          p_grace, NULL, p_checked)
$$;

-- examd keeps each attempt's question ids, types and options in memory (api/shapes.c) and checks
-- saves against them without asking: the database refuses to change them once written.
CREATE OR REPLACE FUNCTION examd_attempt_shape_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the questions of attempt % are fixed at its start', OLD.attempt_id
        USING ERRCODE = 'integrity_constraint_violation';
END $$;

CREATE OR REPLACE TRIGGER attempt_questions_shape_immutable BEFORE UPDATE OF question_id, type, options
    ON attempt_questions FOR EACH ROW
    WHEN (OLD.question_id IS DISTINCT FROM NEW.question_id OR OLD.type IS DISTINCT FROM NEW.type
          OR OLD.options IS DISTINCT FROM NEW.options)
    EXECUTE FUNCTION examd_attempt_shape_immutable();

-- The question snapshot of an attempt as examd checks answers against it in memory: one row per
-- question (id, type, number of options). The snapshot is written at the start and never changes.
CREATE OR REPLACE FUNCTION examd_attempt_questions_shape(p_attempt bigint)
    RETURNS TABLE (question_id bigint, type text, n_options int) LANGUAGE sql STABLE AS $$
    SELECT q.question_id, q.type, coalesce(jsonb_array_length(q.options), 0) FROM attempt_questions q
    WHERE q.attempt_id = p_attempt ORDER BY q.question_id
$$;

CREATE OR REPLACE FUNCTION examd_attempt_begin(p_username text, p_item text, p_grace int, p_mode text, p_session bigint,
                                    p_now jsonb, OUT status text, OUT message text, OUT attempt_id bigint)
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
        IF NOT FOUND OR NOT examd_session_invited(p_session, p_username, p_now) THEN
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
        SELECT coalesce(i.level, examd_now_level(p_now, p_username, i.item)) INTO v_level
        FROM exam_session_items i WHERE i.session_id = p_session AND i.item = p_item;
        IF NOT FOUND THEN
            status := 'invalid_field';
            message := 'this exam is not part of the session';
            RETURN;
        END IF;
    ELSE
        v_level := examd_now_level(p_now, p_username, p_item);
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
    v_version := examd_now_version(p_now);
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

CREATE OR REPLACE FUNCTION examd_attempt_start(p_username text, p_item text, p_grace int, p_now jsonb,
                                    OUT status text, OUT message text, OUT attempt_id bigint)
    LANGUAGE sql AS $$
    SELECT * FROM examd_attempt_begin(p_username, p_item, p_grace, 'exam', NULL, p_now)
$$;

CREATE OR REPLACE FUNCTION examd_attempt_void(p_id bigint, p_reason text, p_actor text, p_role text, p_address text,
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
