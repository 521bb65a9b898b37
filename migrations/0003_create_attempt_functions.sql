-- Timed exams: starting (draw + shuffle + snapshot), saving answers, scoring hand-off and
-- closing, the attempt document, the counted result per grading method, and the exam list.

-- Every save bumps answers_version under the attempt's row lock; closing requires the version
-- that was scored, so an answer acknowledged before the close is always in the score.
ALTER TABLE attempts ADD COLUMN answers_version bigint NOT NULL DEFAULT 0;

-- Options shuffled for one attempt and relabelled A, B, C...; the key follows the options.
CREATE FUNCTION examd_shuffle_options(p_options jsonb, p_answer jsonb, p_type text,
                                      OUT options jsonb, OUT answer jsonb) LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    perm int[];  -- perm[new position + 1] = original index (0-based)
BEGIN
    IF p_type NOT IN ('single', 'multiple') THEN
        options := '[]';
        answer := p_answer;
        RETURN;
    END IF;
    SELECT array_agg(o - 1 ORDER BY random()) INTO perm
    FROM jsonb_array_elements(p_options) WITH ORDINALITY AS t(v, o);
    SELECT jsonb_agg(jsonb_build_object('id', chr(65 + n - 1), 'text', p_options->>(perm[n])) ORDER BY n)
    INTO options FROM generate_subscripts(perm, 1) AS n;
    IF p_type = 'single' THEN
        answer := to_jsonb(chr(65 + array_position(perm, ascii(p_answer #>> '{}') - 65) - 1));
    ELSE
        SELECT jsonb_agg(chr(65 + array_position(perm, ascii(l) - 65) - 1)
                         ORDER BY chr(65 + array_position(perm, ascii(l) - 65) - 1))
        INTO answer FROM jsonb_array_elements_text(p_answer) AS l;
    END IF;
END $$;

-- The exam level an employee's grade requires now, and its blueprint.
CREATE FUNCTION examd_required_level(p_username text, p_item text, p_at timestamptz) RETURNS text
    LANGUAGE sql STABLE AS $$
    SELECT r.level FROM model_required_levels r
    WHERE r.version = examd_model_version_at(p_at) AND r.item = p_item
      AND r.grade = examd_grade_at(p_username, p_at)
$$;

-- Starts an attempt, or finds the open one. Returns {"attempt_id", "created"} or {"error", "message"},
-- or {"expired": id} when an open attempt is past deadline + grace (the caller closes it first).
CREATE FUNCTION examd_attempt_start(p_username text, p_item text, p_grace int) RETURNS jsonb
    LANGUAGE plpgsql AS $$
DECLARE
    v_level text;
    v_version int;
    bp blueprints%ROWTYPE;
    v_open attempts%ROWTYPE;
    v_used int;
    v_id bigint;
    v_short int;
    v_drawn int;
BEGIN
    -- One start at a time per employee and item.
    PERFORM pg_advisory_xact_lock(hashtextextended('attempt:' || p_username || ':' || p_item, 0));
    SELECT * INTO v_open FROM attempts WHERE username = p_username AND item = p_item AND status = 'open';
    IF FOUND THEN
        IF now() > v_open.deadline + make_interval(secs => p_grace) THEN
            RETURN jsonb_build_object('expired', v_open.id);
        END IF;
        RETURN jsonb_build_object('attempt_id', v_open.id, 'created', false);
    END IF;
    v_version := examd_model_version_at(now());
    v_level := examd_required_level(p_username, p_item, now());
    IF v_level IS NULL THEN
        RETURN jsonb_build_object('error', 'exam_unavailable', 'message', 'you have no grade, so no exam level applies');
    END IF;
    SELECT * INTO bp FROM blueprints WHERE item = p_item AND level = v_level;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('error', 'exam_unavailable',
                                  'message', 'no blueprint exists for this exam at level ' || v_level);
    END IF;
    SELECT count(*) INTO v_used FROM attempts WHERE username = p_username AND item = p_item AND level = v_level;
    IF v_used >= bp.max_attempts THEN
        RETURN jsonb_build_object('error', 'attempts_exhausted',
                                  'message', format('all %s attempts at this exam are used', bp.max_attempts));
    END IF;
    SELECT count(*) INTO v_short FROM blueprint_draws d
    WHERE d.item = bp.item AND d.level = bp.level
      AND (SELECT count(*) FROM questions q WHERE q.active AND q.item = d.item AND q.subtopic = d.subtopic
           AND q.level = d.draw_level) < d.count;
    IF v_short > 0 THEN
        RETURN jsonb_build_object('error', 'exam_unavailable',
                                  'message', 'the question pool no longer fills this exam; tell the trainers');
    END IF;
    INSERT INTO attempts (username, item, level, status, model_version, grading, time_limit_seconds, started_at,
                          deadline)
    VALUES (p_username, p_item, v_level, 'open', v_version, bp.grading, bp.time_limit_seconds, now(),
            now() + make_interval(secs => bp.time_limit_seconds))
    RETURNING id INTO v_id;
    INSERT INTO attempt_questions (attempt_id, question_id, position, subtopic, type, stem, options, answer,
                                   points, explanation)
    SELECT v_id, q.id, row_number() OVER (ORDER BY random()), q.subtopic, q.type, q.stem, s.options, s.answer,
           q.points, q.explanation
    FROM blueprint_draws d
    CROSS JOIN LATERAL (SELECT * FROM questions q WHERE q.active AND q.item = d.item AND q.subtopic = d.subtopic
                        AND q.level = d.draw_level ORDER BY random() LIMIT d.count) q
    CROSS JOIN LATERAL examd_shuffle_options(q.options, q.answer, q.type) s
    WHERE d.item = bp.item AND d.level = bp.level;
    GET DIAGNOSTICS v_drawn = ROW_COUNT;
    IF v_drawn <> (SELECT sum(count) FROM blueprint_draws WHERE item = bp.item AND level = bp.level) THEN
        RAISE EXCEPTION 'drew % questions for attempt %, fewer than the blueprint asks', v_drawn, v_id;
    END IF;
    INSERT INTO audit_log (actor, action, target, detail)
    VALUES (p_username, 'attempt.start', 'attempt:' || v_id,
            jsonb_build_object('item', p_item, 'level', v_level, 'questions', v_drawn));
    RETURN jsonb_build_object('attempt_id', v_id, 'created', true);
END $$;

-- The counted exam result of an employee for an item at time T (SPEC §3.2): closed attempts at the
-- level required at T (version in force at T), under the grading method of that level's blueprint.
CREATE FUNCTION examd_counted_exam(p_username text, p_item text, p_at timestamptz) RETURNS jsonb
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_level text := examd_required_level(p_username, p_item, p_at);
    v_version int := examd_model_version_at(p_at);
    v_grading text;
    v_score numeric;
    v_band int;
    v_ids jsonb;
BEGIN
    IF v_level IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT grading INTO v_grading FROM blueprints WHERE item = p_item AND level = v_level;
    v_grading := coalesce(v_grading, 'highest');
    IF v_grading = 'average' THEN
        SELECT round(avg(standard_score), 2), jsonb_agg(id ORDER BY started_at, id) INTO v_score, v_ids
        FROM attempts
        WHERE username = p_username AND item = p_item AND level = v_level
          AND status IN ('submitted', 'auto_submitted') AND submitted_at <= p_at;
        IF v_ids IS NOT NULL THEN
            SELECT score INTO v_band FROM model_exam_bands WHERE version = v_version AND min <= round(v_score)
            ORDER BY score DESC LIMIT 1;
            v_band := coalesce(v_band, 0);
        END IF;
    ELSE
        SELECT c.standard_score, c.band, jsonb_build_array(c.id) INTO v_score, v_band, v_ids
        FROM attempts c
        WHERE c.username = p_username AND c.item = p_item AND c.level = v_level
          AND c.status IN ('submitted', 'auto_submitted') AND c.submitted_at <= p_at
        ORDER BY CASE v_grading WHEN 'highest' THEN -c.standard_score END,
                 CASE v_grading WHEN 'latest' THEN -extract(epoch FROM c.started_at) END,
                 c.started_at, c.id
        LIMIT 1;
    END IF;
    IF v_ids IS NULL THEN
        RETURN jsonb_build_object('level', v_level, 'grading', v_grading, 'standard_score', NULL, 'band', NULL,
                                  'attempt_ids', '[]'::jsonb);
    END IF;
    RETURN jsonb_build_object('level', v_level, 'grading', v_grading, 'standard_score', v_score, 'band', v_band,
                              'band_name_zh', (SELECT name_zh FROM model_rating_scale WHERE score = v_band),
                              'attempt_ids', v_ids);
END $$;

-- The attempt as the API shows it. Keys, explanations and correctness only once it is closed.
CREATE FUNCTION examd_attempt_json(p_id bigint, p_grace int) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'attempt_id', a.id, 'username', a.username, 'item', a.item, 'level', a.level, 'status', a.status,
        'started_at', examd_ts(a.started_at), 'deadline', examd_ts(a.deadline), 'server_time', examd_ts(now()),
        'time_limit_seconds', a.time_limit_seconds, 'grace_seconds', p_grace,
        'remaining_seconds', CASE WHEN a.status = 'open'
                                  THEN greatest(0, floor(extract(epoch FROM a.deadline - now())))::int ELSE 0 END,
        'questions', coalesce((SELECT json_agg(CASE WHEN a.status = 'open' THEN
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
        'answers', coalesce((SELECT json_object_agg(s.question_id::text, s.answer ORDER BY s.question_id)
                             FROM answers s WHERE s.attempt_id = a.id), '{}'),
        'answer_seqs', coalesce((SELECT json_object_agg(s.question_id::text, s.seq ORDER BY s.question_id)
                                 FROM answers s WHERE s.attempt_id = a.id), '{}'),
        'result', CASE WHEN a.status = 'open' THEN NULL ELSE
                    (a.result - 'question_scores') || jsonb_build_object('counted',
                        coalesce(examd_counted_exam(a.username, a.item, now())->'attempt_ids' @> to_jsonb(a.id),
                                 false)) END)
    FROM attempts a WHERE a.id = p_id
$$;

-- Saves one answer (SPEC §4.4). Returns {"saved_at","seq"} or {"stale":true,...} or {"error", "message"}.
CREATE FUNCTION examd_answer_save(p_attempt bigint, p_question bigint, p_username text, p_answer jsonb,
                                  p_seq bigint, p_grace int) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    a attempts%ROWTYPE;
    q attempt_questions%ROWTYPE;
    n int;
    labels text[];
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
    n := jsonb_array_length(q.options);
    SELECT coalesce(array_agg(chr(64 + i)), '{}') INTO labels FROM generate_series(1, n) AS i;
    IF q.type = 'single' THEN
        IF jsonb_typeof(p_answer) <> 'string' OR NOT (p_answer #>> '{}') = ANY (labels) THEN
            RETURN jsonb_build_object('error', 'invalid_field',
                                      'message', 'a single-choice answer is one option label: ' || array_to_string(labels, ', '));
        END IF;
    ELSIF q.type = 'multiple' THEN
        IF jsonb_typeof(p_answer) <> 'array' OR jsonb_array_length(p_answer) = 0
           OR EXISTS (SELECT 1 FROM jsonb_array_elements(p_answer) e
                      WHERE jsonb_typeof(e) <> 'string' OR NOT (e #>> '{}') = ANY (labels))
           OR (SELECT count(DISTINCT e) FROM jsonb_array_elements_text(p_answer) e) <> jsonb_array_length(p_answer) THEN
            RETURN jsonb_build_object('error', 'invalid_field',
                                      'message', 'a multiple-choice answer is a list of distinct option labels: '
                                                 || array_to_string(labels, ', '));
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

-- What the scorer needs: the snapshot with keys and the saved answers, the weights of (item,
-- level) and the bands of the attempt's model version, and the answers_version it reflects.
CREATE FUNCTION examd_attempt_scoring_input(p_id bigint) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'attempt_id', a.id, 'status', a.status, 'answers_version', a.answers_version,
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
CREATE FUNCTION examd_attempt_close(p_id bigint, p_version bigint, p_status text, p_grace int, p_result jsonb,
                                    p_actor text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    a attempts%ROWTYPE;
    v_status text;
    v_score numeric := (p_result->>'standard_score')::numeric;
    v_band int := (p_result->>'band')::int;
BEGIN
    SELECT * INTO a FROM attempts WHERE id = p_id FOR UPDATE;
    IF NOT FOUND OR a.status <> 'open' THEN
        RETURN 'already';
    END IF;
    IF a.answers_version <> p_version THEN
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

-- The exams open to an employee now (SPEC §4.4).
CREATE FUNCTION examd_exams_for(p_username text) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('exams', coalesce(json_agg(json_build_object(
        'item', i.code, 'name_zh', i.name_zh, 'level', b.level, 'time_limit_seconds', b.time_limit_seconds,
        'max_attempts', b.max_attempts, 'grading', b.grading,
        'question_count', (SELECT sum(count) FROM blueprint_draws d WHERE d.item = b.item AND d.level = b.level),
        'attempts_used', (SELECT count(*) FROM attempts a WHERE a.username = p_username AND a.item = b.item
                          AND a.level = b.level),
        'open_attempt_id', (SELECT a.id FROM attempts a WHERE a.username = p_username AND a.item = b.item
                            AND a.status = 'open'),
        'counted_result', CASE WHEN c.r->'standard_score' = 'null'::jsonb THEN NULL
                               ELSE (c.r - 'level' - 'grading') END)
        ORDER BY i.position), '[]'))
    FROM model_items i
    JOIN blueprints b ON b.item = i.code AND b.level = examd_required_level(p_username, i.code, now())
    CROSS JOIN LATERAL (SELECT examd_counted_exam(p_username, i.code, now()) AS r) c
    WHERE i.assessment = 'exam'
$$;

-- Open attempts past deadline + grace, for the auto-submitter (several processes may ask at once:
-- closing is decided by examd_attempt_close, so each attempt closes exactly once).
CREATE FUNCTION examd_attempts_due(p_grace int, p_limit int) RETURNS SETOF bigint LANGUAGE sql STABLE AS $$
    SELECT id FROM attempts WHERE status = 'open' AND deadline + make_interval(secs => p_grace) < now()
    ORDER BY deadline LIMIT p_limit
$$;
