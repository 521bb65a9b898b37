-- Combined profiles (SPEC §3.2-§3.4), behaviour-rating imports and model versions (§2.1).

-- The evidence behind the profiles of a set of employees at time T, set-wise: one row per
-- (employee, item) in model order. Exam items carry the counted result (§3.2); behaviour items
-- the aggregates of the kept ratings (§3.3): each rater's latest rating in the period, kept when
-- its level (or, when NULL, the level required at rated_at) is the level required at T, weighted
-- by the relation weights of the version in force at T. The final arithmetic (weighted mean,
-- rounding, gaps, statuses, summary) is done by examd's pure profile code.
CREATE FUNCTION examd_profile_data(p_usernames text[], p_at timestamptz, p_period text, p_evidence boolean)
RETURNS TABLE (username text, period text, item text, required_level text, assessment text,
               exam_score numeric, exam_band int, wsum numeric, wtot numeric, ssum bigint, n int, evidence jsonb)
LANGUAGE sql STABLE AS $$
WITH v AS (SELECT examd_model_version_at(p_at) AS version),
emp AS (
    SELECT u.username, examd_grade_at(u.username, p_at) AS grade,
           coalesce(p_period, (SELECT r.period FROM behaviour_ratings r
                               WHERE r.employee = u.username AND r.rated_at <= p_at
                               ORDER BY r.rated_at DESC, r.id DESC LIMIT 1)) AS period
    FROM users u WHERE u.username = ANY (p_usernames)
),
req AS (
    SELECT e.username, e.period, i.code AS item, i.assessment, i.position, r.level
    FROM emp e CROSS JOIN model_items i
    LEFT JOIN model_required_levels r ON r.version = (SELECT version FROM v) AND r.grade = e.grade AND r.item = i.code
),
closed AS (
    SELECT a.id, a.username, a.item, a.started_at, a.standard_score, a.band, coalesce(b.grading, 'highest') AS grading
    FROM req q
    JOIN attempts a ON a.username = q.username AND a.item = q.item AND a.level = q.level
         AND a.status IN ('submitted', 'auto_submitted') AND a.submitted_at <= p_at
    LEFT JOIN blueprints b ON b.item = q.item AND b.level = q.level
    WHERE q.assessment = 'exam'
),
picked AS (
    SELECT DISTINCT ON (c.username, c.item) c.username, c.item, c.standard_score AS score, c.band,
           jsonb_build_array(c.id) AS ids
    FROM closed c WHERE c.grading <> 'average'
    ORDER BY c.username, c.item,
             CASE c.grading WHEN 'highest' THEN -c.standard_score END,
             CASE c.grading WHEN 'latest' THEN -extract(epoch FROM c.started_at) END,
             c.started_at, c.id
),
averaged AS (
    SELECT c.username, c.item, round(avg(c.standard_score), 2) AS score, jsonb_agg(c.id ORDER BY c.started_at, c.id) AS ids
    FROM closed c WHERE c.grading = 'average' GROUP BY c.username, c.item
),
exam AS (
    SELECT username, item, score, band, ids FROM picked
    UNION ALL
    SELECT x.username, x.item, x.score,
           coalesce((SELECT b.score FROM model_exam_bands b WHERE b.version = (SELECT version FROM v)
                     AND b.min <= round(x.score) ORDER BY b.score DESC LIMIT 1), 0), x.ids
    FROM averaged x
),
latest AS (
    SELECT DISTINCT ON (r.employee, r.item, r.rater) r.*
    FROM behaviour_ratings r JOIN emp e ON e.username = r.employee AND r.period = e.period
    WHERE r.rated_at <= p_at
    ORDER BY r.employee, r.item, r.rater, r.rated_at DESC, r.id DESC
),
kept AS (
    SELECT l.*, coalesce(w.weight, 1) AS weight
    FROM latest l
    JOIN req q ON q.username = l.employee AND q.item = l.item
    LEFT JOIN model_rater_weights w ON w.version = (SELECT version FROM v) AND w.relation = l.relation
    WHERE coalesce(l.rated_level, examd_required_level(l.employee, l.item, l.rated_at)) = q.level
),
beh AS (
    SELECT k.employee AS username, k.item, sum(k.weight * k.score) AS wsum, sum(k.weight) AS wtot,
           sum(k.score)::bigint AS ssum, count(*)::int AS n,
           CASE WHEN p_evidence THEN
               jsonb_agg(jsonb_build_object('rating_id', k.id, 'rater', k.rater, 'relation', k.relation,
                                            'score', k.score, 'weight', k.weight, 'rated_level', k.rated_level,
                                            'rated_at', examd_ts(k.rated_at), 'note', k.note)
                         ORDER BY k.rated_at, k.id) END AS evidence
    FROM kept k GROUP BY k.employee, k.item
)
SELECT q.username, q.period, q.item, q.level, q.assessment, x.score, x.band, b.wsum, b.wtot, b.ssum, b.n,
       CASE WHEN q.assessment = 'exam' THEN
           CASE WHEN p_evidence AND x.ids IS NOT NULL THEN
               (SELECT jsonb_agg(jsonb_build_object('attempt_id', a.id, 'standard_score', a.standard_score,
                                                    'band', a.band, 'status', a.status,
                                                    'submitted_at', examd_ts(a.submitted_at)) ORDER BY a.started_at)
                FROM attempts a WHERE a.id IN (SELECT jsonb_array_elements_text(x.ids)::bigint)) END
       ELSE b.evidence END
FROM req q
LEFT JOIN exam x ON x.username = q.username AND x.item = q.item
LEFT JOIN beh b ON b.username = q.username AND b.item = q.item
ORDER BY q.username, q.position
$$;

-- Imports validated ratings ([{row, employee, item, score, relation, period, rated_level, rated_at,
-- note, rater}]): all or nothing. Returns {"created": n} or {"errors": [{row, column, message}]}.
CREATE FUNCTION examd_ratings_import(p_rows jsonb, p_actor text, p_address text) RETURNS jsonb
    LANGUAGE plpgsql AS $$
DECLARE
    errors jsonb;
    created int;
BEGIN
    SELECT jsonb_agg(jsonb_build_object('row', (r->>'row')::int, 'column', 'employee',
                                        'message', CASE WHEN u.username IS NULL THEN 'no such user: ' || (r->>'employee')
                                                        ELSE (r->>'employee') || ' is not an employee' END)
                     ORDER BY (r->>'row')::int)
    INTO errors
    FROM jsonb_array_elements(p_rows) r
    LEFT JOIN users u ON u.username = r->>'employee'
    WHERE u.username IS NULL OR u.role <> 'employee';
    IF errors IS NOT NULL THEN
        RETURN jsonb_build_object('errors', errors);
    END IF;
    INSERT INTO behaviour_ratings (employee, item, score, rater, relation, period, rated_level, rated_at, note)
    SELECT r->>'employee', r->>'item', (r->>'score')::smallint, r->>'rater', r->>'relation', r->>'period',
           r->>'rated_level', coalesce((r->>'rated_at')::timestamptz, now()), r->>'note'
    FROM jsonb_array_elements(p_rows) r;
    GET DIAGNOSTICS created = ROW_COUNT;
    INSERT INTO audit_log (actor, action, target, address, detail)
    VALUES (p_actor, 'ratings.import', 'behaviour_ratings', p_address, jsonb_build_object('created', created));
    RETURN jsonb_build_object('created', created);
END $$;

-- Creates the next model version: the newest version plus the validated overrides. Returns
-- {"version": n} or {"error", "message"}.
CREATE FUNCTION examd_model_version_create(p jsonb, p_actor text, p_address text) RETURNS jsonb
    LANGUAGE plpgsql AS $$
DECLARE
    v_prev int;
    v_new int;
    v_eff timestamptz := coalesce((p->>'effective_from')::timestamptz, now());
BEGIN
    IF v_eff < now() THEN
        RETURN jsonb_build_object('error', 'validation_failed',
                                  'message', 'effective_from is in the past: history is never rewritten');
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
    RETURN jsonb_build_object('version', v_new);
END $$;
