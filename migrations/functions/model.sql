-- The competency model: versions, grades held over time, required levels, bands.
--
-- Repeatable: examd migrate re-applies this file (CREATE OR REPLACE) whenever its checksum
-- changes, after the numbered migrations; see migrations/README.md.

-- The model version in force at a time: the latest effective_from <= t.
CREATE OR REPLACE FUNCTION examd_model_version_at(t timestamptz) RETURNS int LANGUAGE sql STABLE AS $$
    SELECT version FROM model_versions WHERE effective_from <= t
    ORDER BY effective_from DESC, version DESC LIMIT 1
$$;

-- The grade held at a time; before the first recorded grade, that first grade applies.
CREATE OR REPLACE FUNCTION examd_grade_at(who text, t timestamptz) RETURNS int LANGUAGE sql STABLE AS $$
    SELECT coalesce(
        (SELECT grade FROM user_grades WHERE username = who AND effective_from <= t
         ORDER BY effective_from DESC, id DESC LIMIT 1),
        (SELECT grade FROM user_grades WHERE username = who ORDER BY effective_from, id LIMIT 1))
$$;

-- The exam level an employee's grade requires now, and its blueprint.
CREATE OR REPLACE FUNCTION examd_required_level(p_username text, p_item text, p_at timestamptz) RETURNS text
    LANGUAGE sql STABLE AS $$
    SELECT r.level FROM model_required_levels r
    WHERE r.version = examd_model_version_at(p_at) AND r.item = p_item
      AND r.grade = examd_grade_at(p_username, p_at)
$$;

-- The exam band thresholds of a model version as "score:min,..." for examd's band arithmetic.
CREATE OR REPLACE FUNCTION examd_bands_text(p_version int) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT string_agg(b.score || ':' || b.min, ',' ORDER BY b.score DESC) FROM model_exam_bands b
    WHERE b.version = p_version
$$;

CREATE OR REPLACE FUNCTION examd_model_version_create(p jsonb, p_actor text, p_address text,
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
