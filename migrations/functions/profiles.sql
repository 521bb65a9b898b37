-- Profiles: the evidence the rules module reads (behaviour ratings, attempts).
--
-- Repeatable: examd migrate re-applies this file (CREATE OR REPLACE) whenever its checksum
-- changes, after the numbered migrations; see migrations/README.md.

CREATE OR REPLACE FUNCTION examd_profile_data(p_usernames text[], p_at timestamptz, p_period text, p_evidence boolean)
RETURNS TABLE (username text, grade int, period text, item text, "position" int, required_level text,
               assessment text, exam_score numeric, exam_band int, wsum numeric, wtot numeric, ssum bigint, n int,
               evidence jsonb)
LANGUAGE plpgsql STABLE SET work_mem = '128MB' AS $fn$
BEGIN
    -- The employees go in as a literal so that the planner knows how many there are.
    RETURN QUERY EXECUTE format($q$
WITH v AS (SELECT examd_model_version_at($2) AS version),
sel AS MATERIALIZED (SELECT x AS username FROM unnest(%L::text[]) x),
-- Grade history as ranges [from_t, until_t); before the first recorded grade, the first applies.
gh AS MATERIALIZED (
    SELECT g.username, g.grade,
           CASE WHEN row_number() OVER w = 1 THEN '-infinity'::timestamptz ELSE g.effective_from END AS from_t,
           coalesce(lead(g.effective_from) OVER w, 'infinity'::timestamptz) AS until_t
    FROM user_grades g JOIN sel ON sel.username = g.username
    WINDOW w AS (PARTITION BY g.username ORDER BY g.effective_from, g.id)
),
-- Model versions as ranges: the latest effective_from <= t is in force at t.
vh AS MATERIALIZED (
    SELECT m.version, m.effective_from AS from_t,
           coalesce(lead(m.effective_from) OVER (ORDER BY m.effective_from, m.version), 'infinity'::timestamptz)
               AS until_t
    FROM model_versions m
),
emp AS MATERIALIZED (
    SELECT u.username, gh.grade,
           coalesce($3, (SELECT r.period FROM behaviour_ratings r
                         WHERE r.employee = u.username AND r.rated_at <= $2
                         ORDER BY r.rated_at DESC, r.id DESC LIMIT 1)) AS period
    FROM users u JOIN sel ON sel.username = u.username
    LEFT JOIN gh ON gh.username = u.username AND $2 >= gh.from_t AND $2 < gh.until_t
),
req AS MATERIALIZED (
    SELECT e.username, e.grade, e.period, i.code AS item, i.assessment, i.position, r.level
    FROM emp e CROSS JOIN model_items i
    LEFT JOIN model_required_levels r ON r.version = (SELECT version FROM v) AND r.grade = e.grade AND r.item = i.code
),
closed AS (
    SELECT a.id, a.username, a.item, a.started_at, a.standard_score, a.band, coalesce(b.grading, 'highest') AS grading
    FROM req q
    JOIN attempts a ON a.username = q.username AND a.item = q.item AND a.level = q.level
         AND a.status IN ('submitted', 'auto_submitted') AND a.submitted_at <= $2
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
    SELECT c.username, c.item, round(avg(c.standard_score), 2) AS score,
           jsonb_agg(c.id ORDER BY c.started_at, c.id) AS ids
    FROM closed c WHERE c.grading = 'average' GROUP BY c.username, c.item
),
exam AS (
    SELECT p.username, p.item, p.score, p.band, p.ids FROM picked p
    UNION ALL
    SELECT x.username, x.item, x.score,
           coalesce((SELECT b.score FROM model_exam_bands b WHERE b.version = (SELECT version FROM v)
                     AND b.min <= round(x.score) ORDER BY b.score DESC LIMIT 1), 0), x.ids
    FROM averaged x
),
latest AS MATERIALIZED (
    SELECT DISTINCT ON (r.employee COLLATE "C", r.period COLLATE "C", r.item COLLATE "C", r.rater COLLATE "C") r.*
    FROM behaviour_ratings r JOIN emp e ON e.username = r.employee AND r.period = e.period
    WHERE r.rated_at <= $2
    ORDER BY r.employee COLLATE "C", r.period COLLATE "C", r.item COLLATE "C", r.rater COLLATE "C",
             r.rated_at DESC, r.id DESC
),
-- The level a rating was made against: its own, or the level required at rated_at.
leveled AS MATERIALIZED (
    SELECT l.*, coalesce(l.rated_level, rl.level) AS eff_level
    FROM latest l
    LEFT JOIN gh ON l.rated_level IS NULL AND gh.username = l.employee
                 AND l.rated_at >= gh.from_t AND l.rated_at < gh.until_t
    LEFT JOIN vh ON l.rated_level IS NULL AND l.rated_at >= vh.from_t AND l.rated_at < vh.until_t
    LEFT JOIN model_required_levels rl ON rl.version = vh.version AND rl.grade = gh.grade AND rl.item = l.item
),
kept AS (
    SELECT l.*, coalesce(w.weight, 1) AS weight
    FROM leveled l
    JOIN req q ON q.username = l.employee AND q.item = l.item AND q.level = l.eff_level
    LEFT JOIN model_rater_weights w ON w.version = (SELECT version FROM v) AND w.relation = l.relation
),
beh AS (
    SELECT k.employee AS username, k.item, sum(k.weight * k.score) AS wsum, sum(k.weight) AS wtot,
           sum(k.score)::bigint AS ssum, count(*)::int AS n,
           CASE WHEN $4 THEN
               jsonb_agg(jsonb_build_object('rating_id', k.id, 'rater', k.rater, 'relation', k.relation,
                                            'score', k.score, 'weight', k.weight, 'rated_level', k.rated_level,
                                            'rated_at', examd_ts(k.rated_at), 'note', k.note)
                         ORDER BY k.rated_at, k.id) END AS evidence
    FROM kept k GROUP BY k.employee, k.item
)
SELECT q.username, q.grade, q.period, q.item, q.position, q.level, q.assessment, x.score, x.band, b.wsum, b.wtot,
       b.ssum, b.n,
       CASE WHEN q.assessment = 'exam' THEN
           CASE WHEN $4 AND x.ids IS NOT NULL THEN
               (SELECT jsonb_agg(jsonb_build_object('attempt_id', a.id, 'standard_score', a.standard_score,
                                                    'band', a.band, 'status', a.status,
                                                    'submitted_at', examd_ts(a.submitted_at)) ORDER BY a.started_at)
                FROM attempts a WHERE a.id IN (SELECT jsonb_array_elements_text(x.ids)::bigint)) END
       ELSE b.evidence END
FROM req q
LEFT JOIN exam x ON x.username = q.username AND x.item = q.item
LEFT JOIN beh b ON b.username = q.username AND b.item = q.item
ORDER BY q.username, q.position
$q$, p_usernames) USING p_usernames, p_at, p_period, p_evidence;
END $fn$;

-- Re-packs the given (employee, period) pairs from the records table.
CREATE OR REPLACE FUNCTION examd_behaviour_evidence_repack(p_emp text[], p_period text[]) RETURNS void
LANGUAGE sql VOLATILE AS $$
    DELETE FROM behaviour_evidence b
    USING (SELECT DISTINCT e, p FROM unnest(p_emp, p_period) AS g(e, p)) g
    WHERE b.employee = g.e AND b.period = g.p;
    INSERT INTO behaviour_evidence (employee, period, ratings)
    SELECT x.employee, x.period,
           string_agg(concat_ws(':', x.position, x.rater_no,
                                array_position(ARRAY['self', 'supervisor', 'peer', 'subordinate', 'customer', 'hr'],
                                               x.relation) - 1,
                                coalesce(x.rated_level, ''),
                                (extract(epoch FROM x.rated_at) * 1000000)::bigint, x.id, x.score), ',')
    FROM (SELECT r.employee, r.period, i.position, r.relation, r.rated_level, r.rated_at, r.id, r.score,
                 dense_rank() OVER (PARTITION BY r.employee, r.period ORDER BY r.rater COLLATE "C") AS rater_no
          FROM behaviour_ratings r
          JOIN (SELECT DISTINCT e, p FROM unnest(p_emp, p_period) AS g(e, p)) g ON r.employee = g.e AND r.period = g.p
          JOIN model_items i ON i.code = r.item) x
    GROUP BY x.employee, x.period;
$$;

-- Each statement on the records table re-packs the pairs it touched, inside the writer's
-- transaction (one writer per employee at a time), so the cache is never stale.
CREATE OR REPLACE FUNCTION examd_behaviour_ratings_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    e text[]; p text[];
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        TRUNCATE behaviour_evidence;
        RETURN NULL;
    ELSIF TG_OP = 'INSERT' THEN
        SELECT array_agg(employee), array_agg(period) INTO e, p FROM (SELECT DISTINCT employee, period FROM new_rows) k;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(employee), array_agg(period) INTO e, p FROM (SELECT DISTINCT employee, period FROM old_rows) k;
    ELSE
        SELECT array_agg(employee), array_agg(period) INTO e, p
        FROM (SELECT employee, period FROM old_rows UNION SELECT employee, period FROM new_rows) k;
    END IF;
    IF e IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(1702, hashtext(x)) FROM (SELECT DISTINCT x FROM unnest(e) x ORDER BY 1) y;
        PERFORM examd_behaviour_evidence_repack(e, p);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER behaviour_ratings_inserted AFTER INSERT ON behaviour_ratings
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION examd_behaviour_ratings_changed();

CREATE OR REPLACE TRIGGER behaviour_ratings_updated AFTER UPDATE ON behaviour_ratings
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION examd_behaviour_ratings_changed();

CREATE OR REPLACE TRIGGER behaviour_ratings_deleted AFTER DELETE ON behaviour_ratings
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION examd_behaviour_ratings_changed();

CREATE OR REPLACE TRIGGER behaviour_ratings_truncated AFTER TRUNCATE ON behaviour_ratings
    FOR EACH STATEMENT EXECUTE FUNCTION examd_behaviour_ratings_changed();

-- ---------------------------------------------------------------- the model, every version
-- Every version's start, required levels, band thresholds and relation weights, and the
-- blueprints' gradings, as one JSON document (domain/rules.c, rules_model_parse). PL/pgSQL so that
-- its plan is kept per connection (a SQL function's statement would be planned on every call).
CREATE OR REPLACE FUNCTION examd_rules_evidence() RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
RETURN (SELECT json_build_object(
    'versions', (SELECT coalesce(json_agg(json_build_object(
                     'version', m.version,
                     'from', (extract(epoch FROM m.effective_from) * 1000000)::bigint,
                     'levels', (SELECT coalesce(json_agg(json_build_array(r.grade, i.position, r.level)), '[]')
                                FROM model_required_levels r JOIN model_items i ON i.code = r.item
                                WHERE r.version = m.version),
                     'bands', (SELECT coalesce(json_agg(json_build_array(b.score, b.min::text)), '[]')
                               FROM model_exam_bands b WHERE b.version = m.version),
                     'weights', (SELECT coalesce(json_object_agg(w.relation, w.weight::text), '{}')
                                 FROM model_rater_weights w WHERE w.version = m.version))
                 ORDER BY m.effective_from, m.version), '[]')
                 FROM model_versions m),
    'grading', (SELECT coalesce(json_agg(json_build_array(i.position, b.level, b.grading) ORDER BY i.position, b.level), '[]')
                FROM blueprints b JOIN model_items i ON i.code = b.item))::text);
END $$;

-- ---------------------------------------------------------------- one row of evidence per employee
-- The employees' evidence as of p_at: the grade history, the closed attempts submitted by p_at,
-- and every rating of the period (p_period, else the period of the employee's most recent rating
-- by p_at) from the cache. Filtered to the given employees (one for a single profile).
CREATE OR REPLACE FUNCTION examd_evidence_packed(p_usernames text[], p_at timestamptz, p_period text)
RETURNS TABLE (username text, period text, grades text, exam text, ratings text)
LANGUAGE plpgsql STABLE SET work_mem = '128MB' SET jit = off AS $fn$
BEGIN
    -- The employees go in as a literal so that the planner knows how many there are.
    RETURN QUERY EXECUTE format($q$
WITH sel AS MATERIALIZED (SELECT x AS username FROM unnest(%L::text[]) x),
emp AS MATERIALIZED (
    SELECT sel.username,
           coalesce($3, (SELECT r.period FROM behaviour_ratings r
                         WHERE r.employee = sel.username AND r.rated_at <= $2
                         ORDER BY r.rated_at DESC, r.id DESC LIMIT 1)) AS period
    FROM sel
),
gr AS (
    SELECT g.username, string_agg(concat_ws(':', (extract(epoch FROM g.effective_from) * 1000000)::bigint, g.grade), ','
                                  ORDER BY g.effective_from, g.id) AS packed
    FROM user_grades g JOIN sel ON sel.username = g.username
    GROUP BY g.username
),
exam AS (
    SELECT a.username,
           string_agg(concat_ws(':', i.position, a.level, (extract(epoch FROM a.started_at) * 1000000)::bigint, a.id,
                                coalesce(a.standard_score::text, ''), coalesce(a.band::text, '')), ',') AS packed
    FROM attempts a
    JOIN sel ON sel.username = a.username
    JOIN model_items i ON i.code = a.item
    WHERE a.status IN ('submitted', 'auto_submitted') AND a.submitted_at <= $2
    GROUP BY a.username
)
SELECT e.username, e.period, gr.packed, x.packed, b.ratings
FROM emp e
LEFT JOIN gr ON gr.username = e.username
LEFT JOIN exam x ON x.username = e.username
LEFT JOIN behaviour_evidence b ON b.employee = e.username AND b.period = e.period
$q$, p_usernames) USING p_usernames, p_at, p_period;
END $fn$;

-- The same for one employee (the single profile, its chart and report), in static SQL whose plan
-- PL/pgSQL keeps per connection: the set-wise function above is planned on every call.
CREATE OR REPLACE FUNCTION examd_evidence_one(p_username text, p_at timestamptz, p_period text)
RETURNS TABLE (username text, period text, grades text, exam text, ratings text)
LANGUAGE plpgsql STABLE AS $fn$
DECLARE
    v_period text := coalesce(p_period, (SELECT r.period FROM behaviour_ratings r
                                         WHERE r.employee = p_username AND r.rated_at <= p_at
                                         ORDER BY r.rated_at DESC, r.id DESC LIMIT 1));
BEGIN
    RETURN QUERY
    SELECT p_username, v_period,
           (SELECT string_agg(concat_ws(':', (extract(epoch FROM g.effective_from) * 1000000)::bigint, g.grade), ','
                              ORDER BY g.effective_from, g.id)
            FROM user_grades g WHERE g.username = p_username),
           (SELECT string_agg(concat_ws(':', i.position, a.level, (extract(epoch FROM a.started_at) * 1000000)::bigint,
                                        a.id, coalesce(a.standard_score::text, ''), coalesce(a.band::text, '')), ',')
            FROM attempts a JOIN model_items i ON i.code = a.item
            WHERE a.username = p_username AND a.status IN ('submitted', 'auto_submitted') AND a.submitted_at <= p_at),
           (SELECT b.ratings FROM behaviour_evidence b WHERE b.employee = p_username AND b.period = v_period);
END $fn$;

-- ---------------------------------------------------------------- one employee's exam evidence
-- What the exams list and an attempt's "counted" need (api/attempts.c): the grade history and the
-- closed attempts submitted by p_at, packed as examd_evidence_packed packs them, and the ids of those
-- attempts whose session results are not out yet at p_at (a counted result stays hidden until then).
CREATE OR REPLACE FUNCTION examd_exam_evidence(p_username text, p_at timestamptz)
RETURNS TABLE (grades text, exam text, hidden text)
LANGUAGE plpgsql STABLE AS $fn$
BEGIN
    RETURN QUERY
    SELECT (SELECT string_agg(concat_ws(':', (extract(epoch FROM g.effective_from) * 1000000)::bigint, g.grade), ','
                              ORDER BY g.effective_from, g.id)
            FROM user_grades g WHERE g.username = p_username),
           (SELECT string_agg(concat_ws(':', i.position, a.level, (extract(epoch FROM a.started_at) * 1000000)::bigint,
                                        a.id, coalesce(a.standard_score::text, ''), coalesce(a.band::text, '')), ',')
            FROM attempts a JOIN model_items i ON i.code = a.item
            WHERE a.username = p_username AND a.status IN ('submitted', 'auto_submitted') AND a.submitted_at <= p_at),
           (SELECT string_agg(a.id::text, ',')
            FROM attempts a
            WHERE a.username = p_username AND a.status IN ('submitted', 'auto_submitted') AND a.submitted_at <= p_at
              AND a.session_id IS NOT NULL AND p_at < examd_session_reveal_at(a.session_id));
END $fn$;
