-- examd_profile_data, rewritten for 10,000 employees at once. Migration 0004's version called
-- examd_required_level() for every rating inside a join (hundreds of thousands of function calls
-- re-evaluated per candidate pair: minutes for 10,000 employees). Here the grade and version
-- histories are joined as time ranges instead, each call is planned with its actual arguments
-- (EXECUTE) with room to sort in memory, the employees are joined (not searched in an array), and
-- the employee's grade and the item's position come out as columns.
-- The rules are those of 0004 (SPEC §3.2, §3.3).
DROP FUNCTION examd_profile_data(text[], timestamptz, text, boolean);

-- Each rater's latest rating in a period, read in index order.
DROP INDEX IF EXISTS behaviour_ratings_lookup;
CREATE INDEX IF NOT EXISTS behaviour_ratings_latest ON behaviour_ratings (employee, period, item, rater, rated_at DESC, id DESC);

CREATE FUNCTION examd_profile_data(p_usernames text[], p_at timestamptz, p_period text, p_evidence boolean)
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
