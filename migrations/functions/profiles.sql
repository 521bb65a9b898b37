-- Profiles: the evidence the rules module reads (behaviour ratings, attempts).
--
-- Repeatable: examd migrate re-applies this file (CREATE OR REPLACE) whenever its checksum
-- changes, after the numbered migrations; see migrations/README.md.

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
                                (extract(epoch FROM x.rated_at) * 1000000)::bigint, x.id, x.score), ','
                      -- the order rules_latest_per_rater sorts into (it checks, and sorts otherwise)
                      ORDER BY x.position, x.rater_no, x.rated_at DESC, x.id DESC)
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
-- PL/pgSQL keeps per connection: the set-wise function above is planned on every call. ROWS 1: it
-- returns one row, and with the default estimate of 1000 the calling statement's cost (each
-- subquery per row) passed jit_above_cost, and JIT compilation took 20-30 ms of a 25 ms profile.
CREATE OR REPLACE FUNCTION examd_evidence_one(p_username text, p_at timestamptz, p_period text)
RETURNS TABLE (username text, period text, grades text, exam text, ratings text)
LANGUAGE plpgsql STABLE ROWS 1 AS $fn$
DECLARE
    v_period text := coalesce(p_period, (SELECT r.period FROM behaviour_ratings r
                                         WHERE r.employee = p_username AND r.rated_at <= p_at
                                         ORDER BY r.rated_at DESC, r.id DESC LIMIT 1));
BEGIN
    RETURN QUERY
    SELECT p_username, v_period,
           examd_grades_packed(p_username),
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
LANGUAGE plpgsql STABLE ROWS 1 AS $fn$
BEGIN
    RETURN QUERY
    SELECT examd_grades_packed(p_username),
           (SELECT string_agg(concat_ws(':', i.position, a.level, (extract(epoch FROM a.started_at) * 1000000)::bigint,
                                        a.id, coalesce(a.standard_score::text, ''), coalesce(a.band::text, '')), ',')
            FROM attempts a JOIN model_items i ON i.code = a.item
            WHERE a.username = p_username AND a.status IN ('submitted', 'auto_submitted') AND a.submitted_at <= p_at),
           (SELECT string_agg(a.id::text, ',')
            FROM attempts a
            WHERE a.username = p_username AND a.status IN ('submitted', 'auto_submitted') AND a.submitted_at <= p_at
              AND a.session_id IS NOT NULL AND p_at < examd_session_reveal_at(a.session_id));
END $fn$;
