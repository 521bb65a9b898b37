-- Question banks and blueprints: import, versioning, retirement, JSON views.
--
-- Repeatable: examd migrate re-applies this file (CREATE OR REPLACE) whenever its checksum
-- changes, after the numbered migrations; see migrations/README.md.

CREATE OR REPLACE FUNCTION examd_question_json(q questions) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', q.id, 'item', q.item, 'subtopic', q.subtopic, 'level', q.level,
                             'type', q.type, 'stem', q.stem, 'options', q.options, 'answer', q.answer,
                             'points', trim_scale(q.points), 'explanation', q.explanation,
                             'external_id', q.external_id, 'version', q.version, 'active', q.active,
                             'created_at', examd_ts(q.created_at), 'retired_at', examd_ts(q.retired_at))
$$;

-- Imports validated questions (an array of bank_question_to_json objects with "content_hash").
-- Rows with an external_id: identical content -> unchanged, changed content -> the old version is
-- retired and a new one created (updated). Rows without: unchanged when an active question has the
-- same item, subtopic, level, type, stem, options and answer; else created.
CREATE OR REPLACE FUNCTION examd_bank_import(p_questions jsonb, p_dry_run boolean, p_actor text, p_address text,
                                  p_source text) RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    q jsonb;
    old questions%ROWTYPE;
    found_old boolean;
    outcome text;
    n_created int := 0;
    n_updated int := 0;
    n_unchanged int := 0;
BEGIN
    -- Imports run one at a time, so two uploads cannot both create the same question.
    PERFORM pg_advisory_xact_lock(7311560234407012002);
    FOR q IN SELECT value FROM jsonb_array_elements(p_questions) LOOP
        IF q->>'external_id' IS NOT NULL THEN
            SELECT * INTO old FROM questions
            WHERE active AND external_id = q->>'external_id' ORDER BY id DESC LIMIT 1;
        ELSE
            SELECT * INTO old FROM questions
            WHERE active AND item = q->>'item' AND subtopic = q->>'subtopic' AND level = q->>'level'
              AND type = q->>'type' AND stem = q->>'stem' AND options = q->'options' AND answer = q->'answer'
            ORDER BY id DESC LIMIT 1;
        END IF;
        found_old := FOUND;
        IF NOT found_old THEN
            outcome := 'created';
        ELSIF q->>'external_id' IS NULL
              OR (old.item = q->>'item' AND old.subtopic = q->>'subtopic' AND old.level = q->>'level'
                  AND old.type = q->>'type' AND old.stem = q->>'stem' AND old.options = q->'options'
                  AND old.answer = q->'answer' AND old.points = (q->>'points')::numeric
                  AND old.explanation = coalesce(q->>'explanation', '')) THEN
            outcome := 'unchanged';
        ELSE
            outcome := 'updated';
        END IF;
        IF NOT p_dry_run AND outcome <> 'unchanged' THEN
            IF outcome = 'updated' THEN
                UPDATE questions SET active = false, retired_at = now() WHERE id = old.id;
            END IF;
            INSERT INTO questions (item, subtopic, level, type, stem, options, answer, points, explanation,
                                   external_id, version, content_hash, replaces, created_by)
            VALUES (q->>'item', q->>'subtopic', q->>'level', q->>'type', q->>'stem',
                    coalesce(q->'options', '[]'), q->'answer', (q->>'points')::numeric,
                    coalesce(q->>'explanation', ''), q->>'external_id',
                    CASE WHEN found_old THEN old.version + 1 ELSE 1 END, q->>'content_hash',
                    CASE WHEN found_old THEN old.id END, p_actor);
        END IF;
        CASE outcome
            WHEN 'created' THEN n_created := n_created + 1;
            WHEN 'updated' THEN n_updated := n_updated + 1;
            ELSE n_unchanged := n_unchanged + 1;
        END CASE;
    END LOOP;
    IF NOT p_dry_run THEN
        INSERT INTO audit_log (actor, action, target, address, detail)
        VALUES (p_actor, 'bank.import', p_source, p_address,
                jsonb_build_object('created', n_created, 'updated', n_updated, 'unchanged', n_unchanged));
    END IF;
    RETURN json_build_object('dry_run', p_dry_run, 'created', n_created, 'updated', n_updated,
                             'unchanged', n_unchanged, 'rejected', 0, 'errors', '[]'::json);
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

-- The options an answer chose, as labels of the bank's own order ("AC"), from the labels shown
-- to the attempt (options shuffled at the draw, migration 0011). The snapshot keeps the shown
-- texts and the question row keeps the bank's texts in bank order, so a label maps through its
-- text (two options of one question with the same text are indistinguishable to a candidate too:
-- the first one is named). NULL when nothing was chosen or the question has no options.
CREATE OR REPLACE FUNCTION examd_bank_labels(p_shown jsonb, p_bank jsonb, p_answer jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$
    SELECT string_agg(DISTINCT chr(65 + y.bi), '')
    FROM (SELECT (SELECT min(o)::int - 1 FROM jsonb_array_elements_text(p_bank) WITH ORDINALITY AS t(v, o)
                  WHERE v = p_shown -> (ascii(x.l) - 65) ->> 'text') AS bi
          FROM (SELECT p_answer #>> '{}' AS l WHERE jsonb_typeof(p_answer) = 'string'
                UNION ALL
                SELECT jsonb_array_elements_text(p_answer) WHERE jsonb_typeof(p_answer) = 'array') x
          WHERE jsonb_typeof(p_shown) = 'array' AND jsonb_array_length(p_shown) > 0 AND length(x.l) = 1) y
    WHERE y.bi IS NOT NULL
$$;

CREATE OR REPLACE FUNCTION examd_blueprint_put(p_item text, p_level text, p_time_limit int, p_max_attempts int,
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
CREATE OR REPLACE FUNCTION examd_blueprint_put(p_item text, p_level text, p_time_limit int, p_max_attempts int,
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

CREATE OR REPLACE FUNCTION examd_question_retire(p_id bigint, p_actor text, p_address text,
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
