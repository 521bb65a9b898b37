-- A cheaper exam start (issue #8, the 20,000-start storm). First, no PL/pgSQL call per drawn question: the
-- options are shuffled and relabelled inside the draw's INSERT. The rules are those of 0003:
-- questions drawn at random per blueprint line, shown in a random order, options of single and
-- multiple choice questions in a random order labelled A.., the key relabelled to match.
-- examd_shuffle_options is no longer used.

CREATE OR REPLACE FUNCTION examd_attempt_start(p_username text, p_item text, p_grace int) RETURNS jsonb
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
    -- The draw, and each choice question's options in a random order relabelled A.. with the key
    -- relabelled to match, in one statement (0003 called a PL/pgSQL function per question).
    -- perm[n] is the 0-based original index of the option shown n-th.
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
            jsonb_build_object('item', p_item, 'level', v_level, 'questions', v_drawn));
    RETURN jsonb_build_object('attempt_id', v_id, 'created', true);
END $$;

DROP FUNCTION examd_shuffle_options(jsonb, jsonb, text);

-- Foreign keys to hot, immutable reference rows. Every start inserted 40 attempt_questions rows
-- whose question_id foreign key share-locked the drawn question's row, and an attempts row whose
-- item, level and model_version keys share-locked the same few model rows: during a start storm
-- thousands of concurrent transactions lock the same rows, and PostgreSQL builds a new MultiXact
-- (a copy of every current locker) for each of them. The snapshot in attempt_questions does not
-- need its source question to exist (questions are retired, never deleted, and the snapshot keeps
-- stem, options and key), and item, level and model version come from the model tables inside
-- examd_attempt_start. Item and level keep a CHECK; the version is checked against the model at start.
-- The snapshot's own key to its attempt is dropped too (40 checks per start): both rows are written
-- by examd_attempt_start in one transaction, and attempts are never deleted. answers keeps its key to
-- attempt_questions (one check per save, on a row no other attempt touches).
ALTER TABLE attempt_questions DROP CONSTRAINT attempt_questions_question_id_fkey,
                              DROP CONSTRAINT attempt_questions_attempt_id_fkey;
ALTER TABLE attempts DROP CONSTRAINT attempts_item_fkey,
                     DROP CONSTRAINT attempts_level_fkey,
                     DROP CONSTRAINT attempts_model_version_fkey;
ALTER TABLE attempts ADD CONSTRAINT attempts_item_exam_check
    CHECK (item IN ('general_knowledge', 'professional_knowledge', 'job_knowledge', 'job_skills'));
ALTER TABLE attempts ADD CONSTRAINT attempts_level_check CHECK (level IN ('junior', 'intermediate', 'senior', 'expert'));
