-- The HR listing of 10,000 employees in well under a second (issue #5).
--
-- SPEC §3.3 takes each rater's latest rating per (employee, period, item). Computing that from the
-- records table for a whole listing means sorting every rating ever made (560,000 rows for the
-- benchmark) on every request. Two derived tables, kept by triggers on behaviour_ratings in the
-- same transaction as every write (so never stale, whoever writes the records table), do that
-- work once per write instead:
--   behaviour_latest   each rater's latest rating per (employee, period, item), with the level it
--                      was made against (eff_level: rated_level, or the level required of the
--                      employee at rated_at; '' when no level was required then);
--   behaviour_summary  those latest ratings counted and summed per (employee, period, item,
--                      eff_level) and relation, with the newest rated_at among them.
-- The profile's rules stay in SQL: the listing keeps the summary rows whose eff_level is the level
-- required at T and weights the per-relation sums with the weights in force at T. A group whose
-- newest latest rating is after T (a listing "as of" an earlier time) cannot use the summary; such
-- employees are computed by examd_profile_data (migration 0006), the reference the single profile
-- uses. Grade and model changes re-derive eff_level for the ratings they can affect.
--
-- Writers in READ COMMITTED (the default) are exact under concurrency: each refresh takes an
-- advisory lock per employee and then reads committed data afresh. A REPEATABLE READ writer racing
-- another writer for the same employee gets a serialization failure to retry, never a wrong sum.
-- A bulk load that disables triggers (session_replication_role = replica) must call
-- examd_behaviour_rebuild() afterwards (README, records table).

CREATE TABLE behaviour_latest (
    employee    text        NOT NULL,
    period      text        NOT NULL,
    item        text        NOT NULL,
    rater       text        NOT NULL,
    rating_id   bigint      NOT NULL,
    rated_at    timestamptz NOT NULL,
    score       smallint    NOT NULL,
    relation    text        NOT NULL,
    rated_level text        NULL,
    eff_level   text        NOT NULL,
    PRIMARY KEY (employee, period, item, rater)
);

CREATE TABLE behaviour_summary (
    employee      text        NOT NULL,
    period        text        NOT NULL,
    item          text        NOT NULL,
    eff_level     text        NOT NULL,
    n_self        int NOT NULL, s_self        int NOT NULL,
    n_supervisor  int NOT NULL, s_supervisor  int NOT NULL,
    n_peer        int NOT NULL, s_peer        int NOT NULL,
    n_subordinate int NOT NULL, s_subordinate int NOT NULL,
    n_customer    int NOT NULL, s_customer    int NOT NULL,
    n_hr          int NOT NULL, s_hr          int NOT NULL,
    last_at       timestamptz NOT NULL,
    PRIMARY KEY (employee, period, item, eff_level)
);
CREATE INDEX behaviour_summary_last ON behaviour_summary (last_at);

-- An employee's latest rating in one index probe (the listing's default period).
DROP INDEX IF EXISTS behaviour_ratings_recent;
CREATE INDEX behaviour_ratings_recent ON behaviour_ratings (employee, rated_at DESC, id DESC);

-- Re-derives both tables for the given (employee, period, item) groups.
CREATE FUNCTION examd_behaviour_refresh(p_emp text[], p_period text[], p_item text[]) RETURNS void
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
CREATE FUNCTION examd_behaviour_rebuild() RETURNS void LANGUAGE plpgsql VOLATILE AS $$
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
CREATE FUNCTION examd_behaviour_ratings_changed() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER behaviour_ratings_inserted AFTER INSERT ON behaviour_ratings
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION examd_behaviour_ratings_changed();
CREATE TRIGGER behaviour_ratings_updated AFTER UPDATE ON behaviour_ratings
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION examd_behaviour_ratings_changed();
CREATE TRIGGER behaviour_ratings_deleted AFTER DELETE ON behaviour_ratings
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION examd_behaviour_ratings_changed();
CREATE TRIGGER behaviour_ratings_truncated AFTER TRUNCATE ON behaviour_ratings
    FOR EACH STATEMENT EXECUTE FUNCTION examd_behaviour_ratings_changed();

-- A grade change can change the level any of the employee's ratings without rated_level was made
-- against (also before the first recorded grade, when the first one applies).
CREATE FUNCTION examd_behaviour_grades_changed() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER user_grades_inserted AFTER INSERT ON user_grades
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION examd_behaviour_grades_changed();
CREATE TRIGGER user_grades_updated AFTER UPDATE ON user_grades
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION examd_behaviour_grades_changed();
CREATE TRIGGER user_grades_deleted AFTER DELETE ON user_grades
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION examd_behaviour_grades_changed();

-- Model versions are immutable but new ones appear (the API only dates them from now on; a
-- direct insert may date one earlier): ratings without rated_level made since it took effect
-- may now be against another level.
CREATE FUNCTION examd_behaviour_model_changed() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER model_versions_inserted AFTER INSERT ON model_versions
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION examd_behaviour_model_changed();
CREATE TRIGGER model_required_levels_inserted AFTER INSERT ON model_required_levels
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION examd_behaviour_model_changed();

SELECT examd_behaviour_rebuild();

-- The listing: the same columns as examd_profile_data without evidence, from the summary.
CREATE FUNCTION examd_profile_listing(p_usernames text[], p_at timestamptz, p_period text)
RETURNS TABLE (username text, grade int, period text, item text, "position" int, required_level text,
               assessment text, exam_score numeric, exam_band int, wsum numeric, wtot numeric, ssum bigint, n int)
LANGUAGE plpgsql STABLE SET work_mem = '128MB' SET jit = off AS $fn$
DECLARE
    slow text[];
    fast text[] := p_usernames;
BEGIN
    -- Employees with a rating after T: their latest ratings as of T are not in the summary.
    SELECT array_agg(DISTINCT s.employee) INTO slow
    FROM behaviour_summary s WHERE s.last_at > p_at AND s.employee = ANY (p_usernames);
    IF slow IS NOT NULL THEN
        RETURN QUERY SELECT d.username, d.grade, d.period, d.item, d."position", d.required_level, d.assessment,
                            d.exam_score, d.exam_band, d.wsum, d.wtot, d.ssum, d.n
                     FROM examd_profile_data(slow, p_at, p_period, false) d;
        SELECT coalesce(array_agg(x), '{}') INTO fast FROM unnest(p_usernames) x WHERE x <> ALL (slow);
    END IF;
    -- The employees go in as a literal so that the planner knows how many there are.
    RETURN QUERY EXECUTE format($q$
WITH v AS MATERIALIZED (SELECT examd_model_version_at($2) AS version),
sel AS MATERIALIZED (SELECT x AS username FROM unnest(%L::text[]) x),
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
-- The levels required in the version in force, with the exam grading at each.
rl AS MATERIALIZED (
    SELECT r.grade, r.item, r.level, coalesce(b.grading, 'highest') AS grading
    FROM model_required_levels r
    LEFT JOIN blueprints b ON b.item = r.item AND b.level = r.level
    WHERE r.version = (SELECT version FROM v)
),
req AS (
    SELECT e.username, e.grade, e.period, i.code AS item, i.assessment, i.position, rl.level
    FROM emp e CROSS JOIN model_items i
    LEFT JOIN rl ON rl.grade = e.grade AND rl.item = i.code
),
closed AS (
    SELECT a.id, a.username, a.item, a.started_at, a.standard_score, a.band, rl.grading
    FROM emp e
    JOIN attempts a ON a.username = e.username AND a.status IN ('submitted', 'auto_submitted') AND a.submitted_at <= $2
    JOIN rl ON rl.grade = e.grade AND rl.item = a.item AND rl.level = a.level
),
picked AS (
    SELECT DISTINCT ON (c.username, c.item) c.username, c.item, c.standard_score AS score, c.band
    FROM closed c WHERE c.grading <> 'average'
    ORDER BY c.username, c.item,
             CASE c.grading WHEN 'highest' THEN -c.standard_score END,
             CASE c.grading WHEN 'latest' THEN -extract(epoch FROM c.started_at) END,
             c.started_at, c.id
),
averaged AS (
    SELECT c.username, c.item, round(avg(c.standard_score), 2) AS score
    FROM closed c WHERE c.grading = 'average' GROUP BY c.username, c.item
),
exam AS (
    SELECT p.username, p.item, p.score, p.band FROM picked p
    UNION ALL
    SELECT x.username, x.item, x.score,
           coalesce((SELECT b.score FROM model_exam_bands b WHERE b.version = (SELECT version FROM v)
                     AND b.min <= round(x.score) ORDER BY b.score DESC LIMIT 1), 0)
    FROM averaged x
),
w AS MATERIALIZED (
    SELECT coalesce(max(weight) FILTER (WHERE relation = 'self'), 1) AS self,
           coalesce(max(weight) FILTER (WHERE relation = 'supervisor'), 1) AS supervisor,
           coalesce(max(weight) FILTER (WHERE relation = 'peer'), 1) AS peer,
           coalesce(max(weight) FILTER (WHERE relation = 'subordinate'), 1) AS subordinate,
           coalesce(max(weight) FILTER (WHERE relation = 'customer'), 1) AS customer,
           coalesce(max(weight) FILTER (WHERE relation = 'hr'), 1) AS hr
    FROM model_rater_weights WHERE version = (SELECT version FROM v)
),
beh AS (
    SELECT s.employee AS username, s.item,
           w.self * s.s_self + w.supervisor * s.s_supervisor + w.peer * s.s_peer
             + w.subordinate * s.s_subordinate + w.customer * s.s_customer + w.hr * s.s_hr AS wsum,
           w.self * s.n_self + w.supervisor * s.n_supervisor + w.peer * s.n_peer
             + w.subordinate * s.n_subordinate + w.customer * s.n_customer + w.hr * s.n_hr AS wtot,
           (s.s_self + s.s_supervisor + s.s_peer + s.s_subordinate + s.s_customer + s.s_hr)::bigint AS ssum,
           s.n_self + s.n_supervisor + s.n_peer + s.n_subordinate + s.n_customer + s.n_hr AS n
    FROM emp e
    JOIN behaviour_summary s ON s.employee = e.username AND s.period = e.period
    JOIN rl ON rl.grade = e.grade AND rl.item = s.item AND rl.level = s.eff_level
    CROSS JOIN w
)
SELECT q.username, q.grade, q.period, q.item, q.position, q.level, q.assessment, x.score, x.band, b.wsum, b.wtot,
       b.ssum, b.n
FROM req q
LEFT JOIN exam x ON x.username = q.username AND x.item = q.item
LEFT JOIN beh b ON b.username = q.username AND b.item = q.item
$q$, fast) USING fast, p_at, p_period;
END $fn$;
