-- A save checks its session and the attempt's owner before it takes the attempt's advisory lock
-- (it took the lock first, from 0010): an unauthenticated or foreign save holds no lock and makes
-- no close wait. The rest of the function is unchanged.
CREATE OR REPLACE FUNCTION examd_answer_save_session(p_token_hash text, p_idle int, p_attempt bigint,
                                                     p_question bigint, p_answer jsonb, p_seq bigint, p_grace int)
    RETURNS jsonb LANGUAGE plpgsql AS $$
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
        RETURN jsonb_build_object('error', 'unauthenticated');
    END IF;
    IF c.role <> 'employee' THEN
        RETURN jsonb_build_object('error', 'forbidden', 'username', c.username);
    END IF;
    IF c.attempt IS NULL THEN
        RETURN jsonb_build_object('error', 'not_found', 'message', 'no such attempt', 'username', c.username);
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
        RETURN jsonb_build_object('error', 'unauthenticated');
    END IF;
    IF c.last_seen < now() - interval '30 seconds' THEN
        UPDATE sessions SET last_seen = now() WHERE token_hash = p_token_hash;
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
