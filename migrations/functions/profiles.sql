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

-- Re-derives both tables for the given (employee, period, item) groups.
CREATE OR REPLACE FUNCTION examd_behaviour_refresh(p_emp text[], p_period text[], p_item text[]) RETURNS void
    LANGUAGE plpgsql VOLATILE SET jit = off SET work_mem = '64MB' AS $$
BEGIN
    IF coalesce(cardinality(p_emp), 0) = 0 THEN
        RETURN;
    END IF;
    -- One writer per employee at a time; the statements below then see every committed rating.
    PERFORM pg_advisory_xact_lock(1702, hashtext(e)) FROM (SELECT DISTINCT e FROM unnest(p_emp) e ORDER BY 1) x;

    DELETE FROM behaviour_latest bl
    USING (SELECT DISTINCT e, p, i FROM unnest(p_emp, p_period, p_item) AS g(e, p, i)) g
    WHERE bl.employee = g.e AND bl.period = g.p AND bl.item = g.i;
    -- The level each latest rating was made against; grade and model history joined as time ranges
    -- (the same rules as examd_grade_at and examd_model_version_at).
    INSERT INTO behaviour_latest (employee, period, item, rater, rating_id, rated_at, score, relation,
                                  rated_level, eff_level)
    WITH g AS (SELECT DISTINCT e, p, i FROM unnest(p_emp, p_period, p_item) AS g(e, p, i)),
    x AS (SELECT DISTINCT ON (r.employee, r.period, r.item, r.rater) r.*
          FROM behaviour_ratings r JOIN g ON r.employee = g.e AND r.period = g.p AND r.item = g.i
          ORDER BY r.employee, r.period, r.item, r.rater, r.rated_at DESC, r.id DESC),
    gh AS (SELECT ug.username, ug.grade,
                  CASE WHEN row_number() OVER w = 1 THEN '-infinity'::timestamptz ELSE ug.effective_from END AS from_t,
                  coalesce(lead(ug.effective_from) OVER w, 'infinity'::timestamptz) AS until_t
           FROM user_grades ug WHERE ug.username IN (SELECT e FROM g)
           WINDOW w AS (PARTITION BY ug.username ORDER BY ug.effective_from, ug.id)),
    vh AS (SELECT m.version, m.effective_from AS from_t,
                  coalesce(lead(m.effective_from) OVER (ORDER BY m.effective_from, m.version),
                           'infinity'::timestamptz) AS until_t
           FROM model_versions m)
    SELECT x.employee, x.period, x.item, x.rater, x.id, x.rated_at, x.score, x.relation, x.rated_level,
           coalesce(x.rated_level, rl.level, '')
    FROM x
    LEFT JOIN gh ON x.rated_level IS NULL AND gh.username = x.employee
                 AND x.rated_at >= gh.from_t AND x.rated_at < gh.until_t
    LEFT JOIN vh ON x.rated_level IS NULL AND x.rated_at >= vh.from_t AND x.rated_at < vh.until_t
    LEFT JOIN model_required_levels rl ON rl.version = vh.version AND rl.grade = gh.grade AND rl.item = x.item;

    DELETE FROM behaviour_summary s
    USING (SELECT DISTINCT e, p, i FROM unnest(p_emp, p_period, p_item) AS g(e, p, i)) g
    WHERE s.employee = g.e AND s.period = g.p AND s.item = g.i;
    INSERT INTO behaviour_summary
    SELECT l.employee, l.period, l.item, l.eff_level,
           count(*) FILTER (WHERE l.relation = 'self'), coalesce(sum(l.score) FILTER (WHERE l.relation = 'self'), 0),
           count(*) FILTER (WHERE l.relation = 'supervisor'),
           coalesce(sum(l.score) FILTER (WHERE l.relation = 'supervisor'), 0),
           count(*) FILTER (WHERE l.relation = 'peer'), coalesce(sum(l.score) FILTER (WHERE l.relation = 'peer'), 0),
           count(*) FILTER (WHERE l.relation = 'subordinate'),
           coalesce(sum(l.score) FILTER (WHERE l.relation = 'subordinate'), 0),
           count(*) FILTER (WHERE l.relation = 'customer'),
           coalesce(sum(l.score) FILTER (WHERE l.relation = 'customer'), 0),
           count(*) FILTER (WHERE l.relation = 'hr'), coalesce(sum(l.score) FILTER (WHERE l.relation = 'hr'), 0),
           max(l.rated_at)
    FROM behaviour_latest l
    JOIN (SELECT DISTINCT e, p, i FROM unnest(p_emp, p_period, p_item) AS g(e, p, i)) g
      ON l.employee = g.e AND l.period = g.p AND l.item = g.i
    GROUP BY l.employee, l.period, l.item, l.eff_level;
END $$;

-- Everything again, from the records table (after a load with triggers off; also used below).
CREATE OR REPLACE FUNCTION examd_behaviour_rebuild() RETURNS void LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    g record;
BEGIN
    LOCK TABLE behaviour_ratings IN SHARE MODE;
    TRUNCATE behaviour_latest, behaviour_summary;
    -- In slices of employees so that the sort of each slice stays in memory.
    FOR g IN SELECT array_agg(employee) AS e, array_agg(period) AS p, array_agg(item) AS i
             FROM (SELECT DISTINCT employee, period, item, dense_rank() OVER (ORDER BY employee) / 2000 AS slice
                   FROM behaviour_ratings) k GROUP BY slice
    LOOP
        PERFORM examd_behaviour_refresh(g.e, g.p, g.i);
    END LOOP;
END $$;

-- Triggers on the records table: statement-level, so that a bulk insert refreshes set-wise.
CREATE OR REPLACE FUNCTION examd_behaviour_ratings_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    e text[]; p text[]; i text[];
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        TRUNCATE behaviour_latest, behaviour_summary;
        RETURN NULL;
    ELSIF TG_OP = 'INSERT' THEN
        SELECT array_agg(employee), array_agg(period), array_agg(item) INTO e, p, i
        FROM (SELECT DISTINCT employee, period, item FROM new_rows) k;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(employee), array_agg(period), array_agg(item) INTO e, p, i
        FROM (SELECT DISTINCT employee, period, item FROM old_rows) k;
    ELSE
        SELECT array_agg(employee), array_agg(period), array_agg(item) INTO e, p, i
        FROM (SELECT employee, period, item FROM old_rows UNION SELECT employee, period, item FROM new_rows) k;
    END IF;
    PERFORM examd_behaviour_refresh(e, p, i);
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

-- A grade change can change the level any of the employee's ratings without rated_level was made
-- against (also before the first recorded grade, when the first one applies).
CREATE OR REPLACE FUNCTION examd_behaviour_grades_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    who text[];
    e text[]; p text[]; i text[];
BEGIN
    -- The transition tables this statement has (INSERT: new rows, DELETE: old, UPDATE: both).
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(username) INTO who FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(username) INTO who FROM old_rows;
    ELSE
        SELECT array_agg(username) INTO who FROM (SELECT username FROM old_rows UNION SELECT username FROM new_rows) u;
    END IF;
    SELECT array_agg(l.employee), array_agg(l.period), array_agg(l.item) INTO e, p, i
    FROM (SELECT DISTINCT employee, period, item FROM behaviour_latest
          WHERE rated_level IS NULL AND employee = ANY (who)) l;
    PERFORM examd_behaviour_refresh(e, p, i);
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER user_grades_inserted AFTER INSERT ON user_grades
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION examd_behaviour_grades_changed();

CREATE OR REPLACE TRIGGER user_grades_updated AFTER UPDATE ON user_grades
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION examd_behaviour_grades_changed();

CREATE OR REPLACE TRIGGER user_grades_deleted AFTER DELETE ON user_grades
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION examd_behaviour_grades_changed();

-- Model versions are immutable but new ones appear (the API only dates them from now on; a
-- direct insert may date one earlier): ratings without rated_level made since it took effect
-- may now be against another level.
CREATE OR REPLACE FUNCTION examd_behaviour_model_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    since timestamptz;
    e text[]; p text[]; i text[];
BEGIN
    IF TG_TABLE_NAME = 'model_versions' THEN
        SELECT min(effective_from) INTO since FROM new_rows;
    ELSE
        SELECT min(m.effective_from) INTO since FROM model_versions m WHERE m.version IN (SELECT version FROM new_rows);
    END IF;
    IF since IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT array_agg(l.employee), array_agg(l.period), array_agg(l.item) INTO e, p, i
    FROM (SELECT DISTINCT employee, period, item FROM behaviour_latest
          WHERE rated_level IS NULL AND rated_at >= since) l;
    PERFORM examd_behaviour_refresh(e, p, i);
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER model_versions_inserted AFTER INSERT ON model_versions
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION examd_behaviour_model_changed();

CREATE OR REPLACE TRIGGER model_required_levels_inserted AFTER INSERT ON model_required_levels
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION examd_behaviour_model_changed();

-- Re-packs the given (employee, period) pairs from behaviour_summary.
CREATE OR REPLACE FUNCTION examd_behaviour_repack(p_emp text[], p_period text[]) RETURNS void LANGUAGE sql VOLATILE AS $$
    DELETE FROM behaviour_packed b
    USING (SELECT DISTINCT e, p FROM unnest(p_emp, p_period) AS g(e, p)) g
    WHERE b.employee = g.e AND b.period = g.p;
    INSERT INTO behaviour_packed (employee, period, packed)
    SELECT s.employee, s.period,
           string_agg(concat_ws(':', i.position, s.eff_level, s.n_self, s.s_self, s.n_supervisor, s.s_supervisor,
                                s.n_peer, s.s_peer, s.n_subordinate, s.s_subordinate, s.n_customer, s.s_customer,
                                s.n_hr, s.s_hr), ',' ORDER BY i.position, s.eff_level)
    FROM behaviour_summary s
    JOIN model_items i ON i.code = s.item
    JOIN (SELECT DISTINCT e, p FROM unnest(p_emp, p_period) AS g(e, p)) g ON s.employee = g.e AND s.period = g.p
    GROUP BY s.employee, s.period;
$$;

-- examd_behaviour_refresh (0009) deletes and inserts summary rows; each statement re-packs the
-- pairs it touched, inside the writer's transaction like the summary itself.
CREATE OR REPLACE FUNCTION examd_behaviour_summary_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    e text[]; p text[];
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        TRUNCATE behaviour_packed;
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
        PERFORM examd_behaviour_repack(e, p);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER behaviour_summary_inserted AFTER INSERT ON behaviour_summary
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION examd_behaviour_summary_changed();

CREATE OR REPLACE TRIGGER behaviour_summary_updated AFTER UPDATE ON behaviour_summary
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION examd_behaviour_summary_changed();

CREATE OR REPLACE TRIGGER behaviour_summary_deleted AFTER DELETE ON behaviour_summary
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION examd_behaviour_summary_changed();

CREATE OR REPLACE TRIGGER behaviour_summary_truncated AFTER TRUNCATE ON behaviour_summary
    FOR EACH STATEMENT EXECUTE FUNCTION examd_behaviour_summary_changed();

CREATE OR REPLACE FUNCTION examd_listing_rules(p_version int) RETURNS text
LANGUAGE sql STABLE AS $$
SELECT json_build_object(
    'version', p_version,
    'levels', (SELECT coalesce(json_agg(json_build_array(r.grade, i.position, r.level) ORDER BY r.grade, i.position), '[]')
               FROM model_required_levels r JOIN model_items i ON i.code = r.item WHERE r.version = p_version),
    'grading', (SELECT coalesce(json_agg(json_build_array(i.position, b.level, b.grading) ORDER BY i.position, b.level), '[]')
                FROM blueprints b JOIN model_items i ON i.code = b.item),
    'bands', (SELECT coalesce(json_agg(json_build_array(b.score, b.min::text) ORDER BY b.score), '[]')
              FROM model_exam_bands b WHERE b.version = p_version),
    'weights', (SELECT coalesce(json_object_agg(w.relation, w.weight::text), '{}')
                FROM model_rater_weights w WHERE w.version = p_version))::text
$$;

CREATE OR REPLACE FUNCTION examd_profile_listing_packed(p_usernames text[], p_at timestamptz, p_period text)
RETURNS TABLE (username text, grade int, period text, exam text, behaviour text, behaviour_weighted text)
LANGUAGE plpgsql STABLE SET work_mem = '128MB' SET jit = off AS $fn$
DECLARE
    slow text[];
    slow_beh text := 'SELECT NULL::text AS username, NULL::text AS packed WHERE false';
BEGIN
    -- Employees with a rating after T: their latest ratings as of T are not in the summary.
    SELECT array_agg(DISTINCT s.employee) INTO slow
    FROM behaviour_summary s WHERE s.last_at > p_at AND s.employee = ANY (p_usernames);
    IF slow IS NOT NULL THEN
        -- One row per such employee, '' when none of their ratings as of T counts: their
        -- behaviour_packed row (which has the later ratings) must not be used.
        slow_beh := format($s$
            SELECT x.username, coalesce(d.packed, '') AS packed
            FROM unnest(%L::text[]) x(username)
            LEFT JOIN (SELECT d.username,
                              string_agg(concat_ws(':', d."position", d.wsum, d.wtot, d.ssum, d.n), ',') AS packed
                       FROM examd_profile_data(%L::text[], $2, $3, false) d
                       WHERE d.assessment = 'behaviour' AND d.n > 0
                       GROUP BY d.username) d ON d.username = x.username$s$, slow, slow);
    END IF;
    -- The employees go in as a literal so that the planner knows how many there are.
    RETURN QUERY EXECUTE format($q$
WITH sel AS MATERIALIZED (SELECT x AS username FROM unnest(%L::text[]) x),
gh AS MATERIALIZED (
    SELECT g.username, g.grade,
           CASE WHEN row_number() OVER w = 1 THEN '-infinity'::timestamptz ELSE g.effective_from END AS from_t,
           coalesce(lead(g.effective_from) OVER w, 'infinity'::timestamptz) AS until_t
    FROM user_grades g JOIN sel ON sel.username = g.username
    WINDOW w AS (PARTITION BY g.username ORDER BY g.effective_from, g.id)
),
emp AS MATERIALIZED (
    SELECT u.username, gh.grade,
           coalesce($3, (SELECT r.period FROM behaviour_ratings r
                         WHERE r.employee = u.username AND r.rated_at <= $2
                         ORDER BY r.rated_at DESC, r.id DESC LIMIT 1)) AS period
    FROM users u JOIN sel ON sel.username = u.username
    LEFT JOIN gh ON gh.username = u.username AND $2 >= gh.from_t AND $2 < gh.until_t
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
),
beh AS (
    SELECT b.employee AS username, b.packed
    FROM emp e JOIN behaviour_packed b ON b.employee = e.username AND b.period = e.period
),
slow AS (%s)
SELECT e.username, e.grade, e.period, x.packed, CASE WHEN sw.username IS NULL THEN b.packed END, sw.packed
FROM emp e
LEFT JOIN exam x ON x.username = e.username
LEFT JOIN beh b ON b.username = e.username
LEFT JOIN slow sw ON sw.username = e.username
$q$, p_usernames, slow_beh) USING p_usernames, p_at, p_period;
END $fn$;

-- Readiness for the next grade (SPEC §4.6b, issue #19) holds an employee's evidence against the
-- levels of grade g-1 with the HR listing's rules (domain/listing.c, domain/readiness.c). The
-- listing's packed evidence (migration 0013) serves it as it is, except for employees rated after
-- the listing's time: for those examd_profile_listing_packed gives values already weighted at the
-- levels of the employee's own grade. This function gives their per-relation summary as of T in
-- behaviour_packed's format (position:eff_level:n_self:s_self:...:n_hr:s_hr), from the records
-- table with the rules of examd_behaviour_refresh (0009): each rater's latest rating as of T, the
-- level it was made against (rated_level, or the level required of the employee at rated_at).
CREATE OR REPLACE FUNCTION examd_behaviour_packed_at(p_emp text[], p_period text[], p_at timestamptz)
RETURNS TABLE (username text, packed text)
LANGUAGE sql STABLE AS $$
WITH g AS (SELECT DISTINCT e, p FROM unnest(p_emp, p_period) AS g(e, p) WHERE p IS NOT NULL),
x AS (SELECT DISTINCT ON (r.employee, r.period, r.item, r.rater) r.*
      FROM behaviour_ratings r JOIN g ON r.employee = g.e AND r.period = g.p
      WHERE r.rated_at <= p_at
      ORDER BY r.employee, r.period, r.item, r.rater, r.rated_at DESC, r.id DESC),
gh AS (SELECT ug.username, ug.grade,
              CASE WHEN row_number() OVER w = 1 THEN '-infinity'::timestamptz ELSE ug.effective_from END AS from_t,
              coalesce(lead(ug.effective_from) OVER w, 'infinity'::timestamptz) AS until_t
       FROM user_grades ug WHERE ug.username IN (SELECT e FROM g)
       WINDOW w AS (PARTITION BY ug.username ORDER BY ug.effective_from, ug.id)),
vh AS (SELECT m.version, m.effective_from AS from_t,
              coalesce(lead(m.effective_from) OVER (ORDER BY m.effective_from, m.version),
                       'infinity'::timestamptz) AS until_t
       FROM model_versions m),
l AS (SELECT x.employee, x.item, x.score, x.relation, coalesce(x.rated_level, rl.level, '') AS eff_level
      FROM x
      LEFT JOIN gh ON x.rated_level IS NULL AND gh.username = x.employee
                   AND x.rated_at >= gh.from_t AND x.rated_at < gh.until_t
      LEFT JOIN vh ON x.rated_level IS NULL AND x.rated_at >= vh.from_t AND x.rated_at < vh.until_t
      LEFT JOIN model_required_levels rl ON rl.version = vh.version AND rl.grade = gh.grade AND rl.item = x.item),
s AS (SELECT l.employee, l.item, l.eff_level,
             count(*) FILTER (WHERE l.relation = 'self') AS n1, coalesce(sum(l.score) FILTER (WHERE l.relation = 'self'), 0) AS s1,
             count(*) FILTER (WHERE l.relation = 'supervisor') AS n2,
             coalesce(sum(l.score) FILTER (WHERE l.relation = 'supervisor'), 0) AS s2,
             count(*) FILTER (WHERE l.relation = 'peer') AS n3, coalesce(sum(l.score) FILTER (WHERE l.relation = 'peer'), 0) AS s3,
             count(*) FILTER (WHERE l.relation = 'subordinate') AS n4,
             coalesce(sum(l.score) FILTER (WHERE l.relation = 'subordinate'), 0) AS s4,
             count(*) FILTER (WHERE l.relation = 'customer') AS n5,
             coalesce(sum(l.score) FILTER (WHERE l.relation = 'customer'), 0) AS s5,
             count(*) FILTER (WHERE l.relation = 'hr') AS n6, coalesce(sum(l.score) FILTER (WHERE l.relation = 'hr'), 0) AS s6
      FROM l WHERE l.eff_level <> ''
      GROUP BY l.employee, l.item, l.eff_level)
SELECT g.e, coalesce(string_agg(concat_ws(':', i.position, s.eff_level, s.n1, s.s1, s.n2, s.s2, s.n3, s.s3, s.n4, s.s4,
                                          s.n5, s.s5, s.n6, s.s6), ',' ORDER BY i.position, s.eff_level), '')
FROM g
LEFT JOIN s ON s.employee = g.e
LEFT JOIN model_items i ON i.code = s.item
GROUP BY g.e
$$;
