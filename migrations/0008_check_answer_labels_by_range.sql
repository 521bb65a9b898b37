-- A cheaper answer save (tests/bench/notes-autosave-profile.txt): the option labels are checked
-- by range instead of being built with generate_series on every save. Same rules as 0005.

CREATE OR REPLACE FUNCTION examd_answer_save(p_attempt bigint, p_question bigint, p_username text, p_answer jsonb,
                                  p_seq bigint, p_grace int) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    a attempts%ROWTYPE;
    q attempt_questions%ROWTYPE;
    n int;
    last_label text;
    norm jsonb := p_answer;
    r record;
BEGIN
    -- The row lock orders this save against a concurrent close (see answers_version).
    SELECT * INTO a FROM attempts WHERE id = p_attempt AND username = p_username FOR UPDATE;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('error', 'not_found', 'message', 'no such attempt');
    END IF;
    SELECT * INTO q FROM attempt_questions WHERE attempt_id = p_attempt AND question_id = p_question;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('error', 'not_found', 'message', 'this question is not part of the attempt');
    END IF;
    IF a.status <> 'open' OR now() > a.deadline + make_interval(secs => p_grace) THEN
        RETURN jsonb_build_object('error', 'attempt_closed', 'message', 'the attempt is closed; answers can no longer change');
    END IF;
    IF p_answer IS NULL THEN
        RETURN jsonb_build_object('error', 'invalid_field', 'message', 'the body must be {"answer": ..., "seq": n}');
    END IF;
    -- Option labels are A.. in shown order: a label is one letter from 'A' to chr(64 + n).
    n := jsonb_array_length(q.options);
    last_label := chr(64 + greatest(n, 1));
    IF jsonb_typeof(p_answer) = 'null' THEN
        norm := 'null'::jsonb;
    ELSIF q.type = 'single' THEN
        IF jsonb_typeof(p_answer) <> 'string' OR length(p_answer #>> '{}') <> 1
           OR (p_answer #>> '{}') NOT BETWEEN 'A' AND last_label COLLATE "C" THEN
            RETURN jsonb_build_object('error', 'invalid_field',
                                      'message', 'a single-choice answer is one option label from A to ' || last_label);
        END IF;
    ELSIF q.type = 'multiple' THEN
        IF jsonb_typeof(p_answer) <> 'array' OR jsonb_array_length(p_answer) = 0
           OR EXISTS (SELECT 1 FROM jsonb_array_elements(p_answer) e
                      WHERE jsonb_typeof(e) <> 'string' OR length(e #>> '{}') <> 1
                         OR (e #>> '{}') NOT BETWEEN 'A' AND last_label COLLATE "C")
           OR (SELECT count(DISTINCT e) FROM jsonb_array_elements_text(p_answer) e) <> jsonb_array_length(p_answer) THEN
            RETURN jsonb_build_object('error', 'invalid_field',
                                      'message', 'a multiple-choice answer is a list of distinct option labels from A to '
                                                 || last_label);
        END IF;
        SELECT jsonb_agg(e ORDER BY e) INTO norm FROM jsonb_array_elements_text(p_answer) e;
    ELSIF q.type = 'truefalse' THEN
        IF jsonb_typeof(p_answer) <> 'boolean' THEN
            RETURN jsonb_build_object('error', 'invalid_field', 'message', 'a true/false answer is true or false');
        END IF;
    ELSE
        IF jsonb_typeof(p_answer) <> 'string' OR length(p_answer #>> '{}') > 1000 THEN
            RETURN jsonb_build_object('error', 'invalid_field', 'message', 'a fill-in answer is a text of at most 1000 characters');
        END IF;
    END IF;
    UPDATE attempts SET answers_version = answers_version + 1 WHERE id = p_attempt;
    INSERT INTO answers AS s (attempt_id, question_id, answer, seq, saved_at)
    VALUES (p_attempt, p_question, norm, coalesce(p_seq, 0), clock_timestamp())
    ON CONFLICT (attempt_id, question_id) DO UPDATE
        SET answer = EXCLUDED.answer, seq = CASE WHEN p_seq IS NULL THEN s.seq ELSE EXCLUDED.seq END,
            saved_at = EXCLUDED.saved_at
        WHERE p_seq IS NULL OR s.seq <= p_seq
    RETURNING s.seq, s.saved_at INTO r;
    IF NOT FOUND THEN
        SELECT s.seq, s.saved_at INTO r FROM answers s WHERE s.attempt_id = p_attempt AND s.question_id = p_question;
        RETURN jsonb_build_object('stale', true, 'seq', r.seq, 'saved_at', examd_ts(r.saved_at));
    END IF;
    RETURN jsonb_build_object('saved_at', examd_ts(r.saved_at), 'seq', r.seq);
END $$;

