-- Autosaves in groups, set-wise (issue #20). examd_answer_save_batch (0014) called
-- examd_answer_save_session once per save: three to four statements and a JSON build per save.
-- examd_answer_save_group does the same checks for the whole group in four statements:
--   1. who is asking and is each attempt theirs (no lock yet: a foreign or anonymous save holds
--      nothing), refreshing the sessions' last_seen;
--   2. the advisory locks of the group's attempts, shared, in attempt order;
--   3. under the locks, with a fresh snapshot: session again (a logout since 1 holds), the
--      attempt's state and deadline, the question, the answer's shape (examd_answer_check), then
--      one upsert per seq kind, in (attempt, question) order;
--   4. for a save refused as stale, the stored seq as it is now.
-- Each save's outcome is the same JSON as examd_answer_save_session's. A group never holds two
-- saves of one question (examd sends the second in a later group).
--
-- examd_answer_check is the one definition of an answer's shape; examd_answer_save_session now
-- uses it too.

CREATE FUNCTION examd_answer_check(p_type text, p_n_options int, p_answer jsonb, OUT norm jsonb, OUT message text)
    LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    last_label text := chr(64 + greatest(coalesce(p_n_options, 1), 1));
BEGIN
    norm := p_answer;
    message := NULL;
    IF p_answer IS NULL THEN
        message := 'the body must be {"answer": ..., "seq": n}';
    ELSIF jsonb_typeof(p_answer) = 'null' THEN
        norm := 'null'::jsonb;
    ELSIF p_type = 'single' THEN
        IF jsonb_typeof(p_answer) <> 'string' OR length(p_answer #>> '{}') <> 1
           OR (p_answer #>> '{}') NOT BETWEEN 'A' AND last_label COLLATE "C" THEN
            message := 'a single-choice answer is one option label from A to ' || last_label;
        END IF;
    ELSIF p_type = 'multiple' THEN
        IF jsonb_typeof(p_answer) <> 'array' OR jsonb_array_length(p_answer) = 0
           OR EXISTS (SELECT 1 FROM jsonb_array_elements(p_answer) e
                      WHERE jsonb_typeof(e) <> 'string' OR length(e #>> '{}') <> 1
                         OR (e #>> '{}') NOT BETWEEN 'A' AND last_label COLLATE "C")
           OR (SELECT count(DISTINCT e) FROM jsonb_array_elements_text(p_answer) e) <> jsonb_array_length(p_answer) THEN
            message := 'a multiple-choice answer is a list of distinct option labels from A to ' || last_label;
        ELSE
            SELECT jsonb_agg(e ORDER BY e) INTO norm FROM jsonb_array_elements_text(p_answer) e;
        END IF;
    ELSIF p_type = 'truefalse' THEN
        IF jsonb_typeof(p_answer) <> 'boolean' THEN
            message := 'a true/false answer is true or false';
        END IF;
    ELSE
        IF jsonb_typeof(p_answer) <> 'string' OR length(p_answer #>> '{}') > 1000 THEN
            message := 'a fill-in answer is a text of at most 1000 characters';
        END IF;
    END IF;
    IF message IS NOT NULL THEN
        norm := NULL;
    END IF;
END $$;

CREATE FUNCTION examd_answer_save_group(p_batch jsonb, p_idle int, p_grace int)
    RETURNS TABLE (i int, result text) LANGUAGE plpgsql AS $$
DECLARE
    locks bigint[];
    outcome jsonb;
    e record;
    r record;
BEGIN
    -- 1. Sessions and owners, before any lock.
    SELECT array_agg(DISTINCT x.a ORDER BY x.a) INTO locks
      FROM (SELECT (v->>'a')::bigint AS a, v->>'t' AS t FROM jsonb_array_elements(p_batch) v) x
      JOIN sessions s ON s.token_hash = x.t AND s.expires_at > now()
                     AND s.last_seen > now() - make_interval(secs => p_idle)
      JOIN users u ON u.username = s.username AND u.active AND u.role = 'employee'
      JOIN attempts a ON a.id = x.a AND a.username = u.username;
    UPDATE sessions SET last_seen = now()
     WHERE token_hash IN (SELECT DISTINCT v->>'t' FROM jsonb_array_elements(p_batch) v)
       AND last_seen < now() - interval '30 seconds'
       AND last_seen > now() - make_interval(secs => p_idle) AND expires_at > now();
    -- 2. The attempts' locks, shared (saves run side by side; a close waits for them), in order.
    PERFORM pg_advisory_xact_lock_shared(1703, (l % 2147483647)::int) FROM unnest(locks) l ORDER BY l;
    -- 3. Under the locks: every check again with a fresh snapshot, then the upserts.
        WITH b AS (
            SELECT (x.o - 1)::int AS k, x.v->>'t' AS t, (x.v->>'a')::bigint AS a, (x.v->>'q')::bigint AS q,
                   CASE WHEN x.v ? 'v' THEN x.v->'v' END AS v, (x.v->>'s')::bigint AS s
              FROM jsonb_array_elements(p_batch) WITH ORDINALITY AS x(v, o)
        ), c AS (
            SELECT b.*, u.username, u.role, at.id AS attempt, at.status, at.deadline, aq.type,
                   jsonb_array_length(aq.options) AS n_options, aq.question_id
              FROM b
              LEFT JOIN sessions s ON s.token_hash = b.t AND s.expires_at > now()
                                  AND s.last_seen > now() - make_interval(secs => p_idle)
              LEFT JOIN users u ON u.username = s.username AND u.active
              LEFT JOIN attempts at ON at.id = b.a AND at.username = u.username AND at.id = ANY (locks)
              LEFT JOIN attempt_questions aq ON aq.attempt_id = at.id AND aq.question_id = b.q
        ), v AS (
            SELECT c.*,
                   CASE WHEN c.username IS NULL THEN 'unauthenticated'
                        WHEN c.role <> 'employee' THEN 'forbidden'
                        WHEN c.attempt IS NULL THEN 'no_attempt'
                        WHEN c.question_id IS NULL THEN 'no_question'
                        WHEN c.status <> 'open' OR now() > c.deadline + make_interval(secs => p_grace) THEN 'closed'
                   END AS refusal,
                   ck.norm, ck.message
              FROM c LEFT JOIN LATERAL examd_answer_check(c.type, c.n_options, c.v) ck ON c.question_id IS NOT NULL
        ), plain AS (
            -- No seq: the answer changes, the stored seq stays.
            INSERT INTO answers AS s (attempt_id, question_id, answer, seq, saved_at)
            SELECT v.a, v.q, v.norm, 0, clock_timestamp() FROM v
             WHERE v.refusal IS NULL AND v.message IS NULL AND v.s IS NULL
             ORDER BY v.a, v.q
            ON CONFLICT (attempt_id, question_id) DO UPDATE
                SET answer = EXCLUDED.answer, saved_at = EXCLUDED.saved_at
            RETURNING s.attempt_id, s.question_id, s.seq, s.saved_at
        ), sequenced AS (
            -- With seq: applied when it is not lower than the stored one.
            INSERT INTO answers AS s (attempt_id, question_id, answer, seq, saved_at)
            SELECT v.a, v.q, v.norm, v.s, clock_timestamp() FROM v
             WHERE v.refusal IS NULL AND v.message IS NULL AND v.s IS NOT NULL
             ORDER BY v.a, v.q
            ON CONFLICT (attempt_id, question_id) DO UPDATE
                SET answer = EXCLUDED.answer, seq = EXCLUDED.seq, saved_at = EXCLUDED.saved_at
                WHERE s.seq <= EXCLUDED.seq
            RETURNING s.attempt_id, s.question_id, s.seq, s.saved_at
        ), done AS (
            SELECT * FROM plain UNION ALL SELECT * FROM sequenced
        )
        SELECT jsonb_agg(jsonb_build_object('k', v.k, 'a', v.a, 'q', v.q, 'username', v.username,
                                            'refusal', v.refusal, 'message', v.message, 'seq', d.seq,
                                            'saved_at', d.saved_at) ORDER BY v.k)
          INTO outcome
          FROM v LEFT JOIN done d ON d.attempt_id = v.a AND d.question_id = v.q;
    FOR e IN SELECT * FROM jsonb_to_recordset(outcome) AS x(k int, a bigint, q bigint, username text, refusal text,
                                                            message text, seq bigint, saved_at timestamptz)
    LOOP
        i := e.k;
        IF e.refusal = 'unauthenticated' THEN
            result := jsonb_build_object('error', 'unauthenticated')::text;
        ELSIF e.refusal = 'forbidden' THEN
            result := jsonb_build_object('error', 'forbidden', 'username', e.username)::text;
        ELSIF e.refusal = 'no_attempt' THEN
            result := jsonb_build_object('error', 'not_found', 'message', 'no such attempt',
                                         'username', e.username)::text;
        ELSIF e.refusal = 'no_question' THEN
            result := jsonb_build_object('error', 'not_found', 'message', 'this question is not part of the attempt',
                                         'username', e.username)::text;
        ELSIF e.refusal = 'closed' THEN
            result := jsonb_build_object('error', 'attempt_closed',
                                         'message', 'the attempt is closed; answers can no longer change',
                                         'username', e.username)::text;
        ELSIF e.message IS NOT NULL THEN
            result := jsonb_build_object('error', 'invalid_field', 'message', e.message, 'username', e.username)::text;
        ELSIF e.saved_at IS NOT NULL THEN
            result := jsonb_build_object('saved_at', examd_ts(e.saved_at), 'seq', e.seq, 'username', e.username)::text;
        ELSE
            -- 4. Stale: the stored seq is higher; report it as it is now.
            SELECT s.seq, s.saved_at INTO r FROM answers s WHERE s.attempt_id = e.a AND s.question_id = e.q;
            result := jsonb_build_object('stale', true, 'seq', r.seq, 'saved_at', examd_ts(r.saved_at),
                                         'username', e.username)::text;
        END IF;
        RETURN NEXT;
    END LOOP;
END $$;

-- The single save checks an answer's shape through examd_answer_check as well.
CREATE OR REPLACE FUNCTION examd_answer_save_session(p_token_hash text, p_idle int, p_attempt bigint,
                                                     p_question bigint, p_answer jsonb, p_seq bigint, p_grace int)
    RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    c record;
    norm jsonb;
    msg text;
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
    SELECT ck.norm, ck.message INTO norm, msg FROM examd_answer_check(c.type, c.n_options, p_answer) ck;
    IF msg IS NOT NULL THEN
        RETURN jsonb_build_object('error', 'invalid_field', 'message', msg, 'username', c.username);
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
