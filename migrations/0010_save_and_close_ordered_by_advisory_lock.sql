-- Autosave in three statements and one row write (issue #8). Until now a save ran five statements
-- (session, attempt FOR UPDATE, question, an UPDATE of attempts.answers_version, the upsert): the
-- version bump, a second heap tuple and WAL record per save, existed so that a close could tell
-- whether an answer arrived while it was scoring. Now:
--   - saves and closes of one attempt are ordered by a transaction advisory lock on the attempt
--     (class 1703; saves take it shared, a close exclusive). It is taken before anything is read, so
--     a save that gets the lock after a close committed reads the closed status and is refused, and
--     a close waits until every save that got in has committed. Advisory locks live in memory: no
--     tuple lock, no WAL. (Two attempt ids equal modulo 2^31-1 share a lock: a wait, never an error.)
--   - a close compares a digest of the attempt's saved answers: the scoring input carries the digest
--     of the answers it scored, examd_attempt_close recomputes it under the lock, and a difference
--     means an answer changed in between ('changed': examd scores again, as before). A digest of the
--     content is exact here: unchanged content gives the same score.
--   - the session, the attempt and the question are read in one statement.
-- attempts.answers_version stays in the schema, no longer written. examd_answer_save (used only
-- by examd_answer_save_session since 0007) is dropped: the validation now lives in one place.

CREATE FUNCTION examd_answers_digest(p_attempt bigint) RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT coalesce(hashtextextended(string_agg(s.question_id::text || '=' || s.answer::text, ','
                                                ORDER BY s.question_id), 0), 0)
    FROM answers s WHERE s.attempt_id = p_attempt
$$;

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

CREATE OR REPLACE FUNCTION examd_answer_save_session(p_token_hash text, p_idle int, p_attempt bigint,
                                                     p_question bigint, p_answer jsonb, p_seq bigint, p_grace int)
    RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    c record;
    last_label text;
    norm jsonb := p_answer;
    r record;
BEGIN
    PERFORM pg_advisory_xact_lock_shared(1703, (p_attempt % 2147483647)::int);
    SELECT u.username, u.role, s.last_seen, a.id AS attempt, a.status, a.deadline, q.type,
           jsonb_array_length(q.options) AS n_options, q.question_id
    INTO c
    FROM sessions s
    JOIN users u ON u.username = s.username
    LEFT JOIN attempts a ON a.id = p_attempt AND a.username = u.username
    LEFT JOIN attempt_questions q ON q.attempt_id = a.id AND q.question_id = p_question
    WHERE s.token_hash = p_token_hash AND s.expires_at > now() AND u.active
      AND s.last_seen > now() - make_interval(secs => p_idle);
    IF NOT FOUND THEN
        RETURN jsonb_build_object('error', 'unauthenticated');
    END IF;
    IF c.last_seen < now() - interval '30 seconds' THEN
        UPDATE sessions SET last_seen = now() WHERE token_hash = p_token_hash;
    END IF;
    IF c.role <> 'employee' THEN
        RETURN jsonb_build_object('error', 'forbidden', 'username', c.username);
    END IF;
    IF c.attempt IS NULL THEN
        RETURN jsonb_build_object('error', 'not_found', 'message', 'no such attempt', 'username', c.username);
    END IF;
    IF c.question_id IS NULL THEN
        RETURN jsonb_build_object('error', 'not_found', 'message', 'this question is not part of the attempt',
                                  'username', c.username);
    END IF;
    IF c.status <> 'open' OR now() > c.deadline + make_interval(secs => p_grace) THEN
        RETURN jsonb_build_object('error', 'attempt_closed',
                                  'message', 'the attempt is closed; answers can no longer change', 'username', c.username);
    END IF;
    IF p_answer IS NULL THEN
        RETURN jsonb_build_object('error', 'invalid_field', 'message', 'the body must be {"answer": ..., "seq": n}',
                                  'username', c.username);
    END IF;
    -- Option labels are A.. in shown order: a label is one letter from 'A' to chr(64 + n).
    last_label := chr(64 + greatest(c.n_options, 1));
    IF jsonb_typeof(p_answer) = 'null' THEN
        norm := 'null'::jsonb;
    ELSIF c.type = 'single' THEN
        IF jsonb_typeof(p_answer) <> 'string' OR length(p_answer #>> '{}') <> 1
           OR (p_answer #>> '{}') NOT BETWEEN 'A' AND last_label COLLATE "C" THEN
            RETURN jsonb_build_object('error', 'invalid_field', 'username', c.username,
                                      'message', 'a single-choice answer is one option label from A to ' || last_label);
        END IF;
    ELSIF c.type = 'multiple' THEN
        IF jsonb_typeof(p_answer) <> 'array' OR jsonb_array_length(p_answer) = 0
           OR EXISTS (SELECT 1 FROM jsonb_array_elements(p_answer) e
                      WHERE jsonb_typeof(e) <> 'string' OR length(e #>> '{}') <> 1
                         OR (e #>> '{}') NOT BETWEEN 'A' AND last_label COLLATE "C")
           OR (SELECT count(DISTINCT e) FROM jsonb_array_elements_text(p_answer) e) <> jsonb_array_length(p_answer) THEN
            RETURN jsonb_build_object('error', 'invalid_field', 'username', c.username,
                                      'message', 'a multiple-choice answer is a list of distinct option labels from A to '
                                                 || last_label);
        END IF;
        SELECT jsonb_agg(e ORDER BY e) INTO norm FROM jsonb_array_elements_text(p_answer) e;
    ELSIF c.type = 'truefalse' THEN
        IF jsonb_typeof(p_answer) <> 'boolean' THEN
            RETURN jsonb_build_object('error', 'invalid_field', 'username', c.username,
                                      'message', 'a true/false answer is true or false');
        END IF;
    ELSE
        IF jsonb_typeof(p_answer) <> 'string' OR length(p_answer #>> '{}') > 1000 THEN
            RETURN jsonb_build_object('error', 'invalid_field', 'username', c.username,
                                      'message', 'a fill-in answer is a text of at most 1000 characters');
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
        RETURN jsonb_build_object('stale', true, 'seq', r.seq, 'saved_at', examd_ts(r.saved_at), 'username', c.username);
    END IF;
    RETURN jsonb_build_object('saved_at', examd_ts(r.saved_at), 'seq', r.seq, 'username', c.username);
END $$;

DROP FUNCTION examd_answer_save(bigint, bigint, text, jsonb, bigint, int);
