-- The HR listing as one row per employee, with the per-item rules applied in examd (issue #5:
-- 10,000 employees in under a second).
--
-- Migration 0009's examd_profile_listing returned 18 rows per employee (180,000 for the benchmark),
-- and every one of them went through joins with the required levels, sorts by text keys and the
-- numeric weighting. examd_profile_listing_packed returns one row per employee with the raw
-- evidence packed as text, and examd_listing_rules returns the rules of the version in force as
-- one JSON document; examd applies SPEC §3.2-§3.3 itself (domain/listing.c, unit-tested), the same
-- rules as examd_profile_data (0006), which stays the reference for the single profile. The
-- integration test test_listing_summary.py checks the listing against the single profile.
-- examd_profile_listing (0009) has no caller any more and is dropped.
--
-- Packed columns (entries separated by ',', fields by ':'; level codes and numbers only):
--   exam        every closed attempt submitted by T:
--               position:level:started_at (µs since the epoch):id:standard_score:band
--               (score and band empty when NULL)
--   behaviour   the summary rows (0009) of the employee's period, kept packed per employee and
--               period in behaviour_packed by a trigger on behaviour_summary:
--               position:eff_level:n_self:s_self:n_supervisor:s_supervisor:n_peer:s_peer:
--               n_subordinate:s_subordinate:n_customer:s_customer:n_hr:s_hr
--               NULL for an employee rated after T, whose latest ratings as of T are not in
--               the summary; for those, behaviour_weighted comes from examd_profile_data:
--   behaviour_weighted  position:wsum:wtot:ssum:n per behaviour item with kept ratings ('' when
--               none), for exactly the employees rated after T.

DROP FUNCTION examd_profile_listing(text[], timestamptz, text);

CREATE TABLE behaviour_packed (
    employee text NOT NULL,
    period   text NOT NULL,
    packed   text NOT NULL,
    PRIMARY KEY (employee, period)
);

-- Re-packs the given (employee, period) pairs from behaviour_summary.
CREATE FUNCTION examd_behaviour_repack(p_emp text[], p_period text[]) RETURNS void LANGUAGE sql VOLATILE AS $$
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
CREATE FUNCTION examd_behaviour_summary_changed() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER behaviour_summary_inserted AFTER INSERT ON behaviour_summary
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION examd_behaviour_summary_changed();
CREATE TRIGGER behaviour_summary_updated AFTER UPDATE ON behaviour_summary
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION examd_behaviour_summary_changed();
CREATE TRIGGER behaviour_summary_deleted AFTER DELETE ON behaviour_summary
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION examd_behaviour_summary_changed();
CREATE TRIGGER behaviour_summary_truncated AFTER TRUNCATE ON behaviour_summary
    FOR EACH STATEMENT EXECUTE FUNCTION examd_behaviour_summary_changed();

SELECT examd_behaviour_repack(array_agg(employee), array_agg(period))
FROM (SELECT DISTINCT employee, period FROM behaviour_summary) k;

CREATE FUNCTION examd_listing_rules(p_version int) RETURNS text
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

CREATE FUNCTION examd_profile_listing_packed(p_usernames text[], p_at timestamptz, p_period text)
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
