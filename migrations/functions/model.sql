-- The competency model: versions, grades held over time, required levels, bands.
--
-- Repeatable: examd migrate re-applies this file (CREATE OR REPLACE) whenever its checksum
-- changes, after the numbered migrations; see migrations/README.md.

-- Grades and levels "now". The rules (grade held at T, level required at T) are examd's
-- (service/domain/rules.c); a statement that acts now receives examd's answer as one jsonb
-- parameter, p_now = {"grades": {username: grade}, "levels": {"<grade>": {item: level}}, "version":
-- the version in force now} (the levels are that version's), and only looks it up with the three
-- functions below. The version in force at a time is the rules module's too (rules_version_at).
CREATE OR REPLACE FUNCTION examd_now_grade(p_now jsonb, p_username text) RETURNS int LANGUAGE sql IMMUTABLE AS $$
    SELECT (p_now #>> ARRAY['grades', p_username])::int
$$;

CREATE OR REPLACE FUNCTION examd_now_version(p_now jsonb) RETURNS int LANGUAGE sql IMMUTABLE AS $$
    SELECT (p_now ->> 'version')::int
$$;

CREATE OR REPLACE FUNCTION examd_now_level(p_now jsonb, p_username text, p_item text) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$
    SELECT p_now #>> ARRAY['levels', p_now #>> ARRAY['grades', p_username], p_item]
$$;

-- One employee's grade history, the evidence of the rule: "from:grade,..." in the order
-- (effective_from, id), from in microseconds since the epoch; NULL without one.
CREATE OR REPLACE FUNCTION examd_grades_packed(p_username text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT string_agg(concat_ws(':', (extract(epoch FROM g.effective_from) * 1000000)::bigint, g.grade), ','
                      ORDER BY g.effective_from, g.id)
    FROM user_grades g WHERE g.username = p_username
$$;

-- Every grade history (users without one are absent).
CREATE OR REPLACE FUNCTION examd_grades_all() RETURNS TABLE (username text, grades text) LANGUAGE sql STABLE AS $$
    SELECT g.username, string_agg(concat_ws(':', (extract(epoch FROM g.effective_from) * 1000000)::bigint, g.grade),
                                  ',' ORDER BY g.effective_from, g.id)
    FROM user_grades g GROUP BY g.username
$$;

-- The transaction's time in microseconds since the epoch (the "now" examd evaluates the rules at).
CREATE OR REPLACE FUNCTION examd_now_us() RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT (extract(epoch FROM now()) * 1000000)::bigint
$$;

-- Changes whenever a model version is added (versions are never edited or removed): examd keeps the
-- parsed versions per worker and reads examd_rules_evidence() again when this differs.
CREATE OR REPLACE FUNCTION examd_model_stamp() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT max(version) || ':' || count(*) FROM model_versions
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
