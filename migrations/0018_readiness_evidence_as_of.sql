-- Readiness for the next grade (SPEC §4.6b, issue #19) holds an employee's evidence against the
-- levels of grade g-1 with the HR listing's rules (domain/listing.c, domain/readiness.c). The
-- listing's packed evidence (migration 0013) serves it as it is, except for employees rated after
-- the listing's time: for those examd_profile_listing_packed gives values already weighted at the
-- levels of the employee's own grade. This function gives their per-relation summary as of T in
-- behaviour_packed's format (position:eff_level:n_self:s_self:...:n_hr:s_hr), from the records
-- table with the rules of examd_behaviour_refresh (0009): each rater's latest rating as of T, the
-- level it was made against (rated_level, or the level required of the employee at rated_at).
CREATE FUNCTION examd_behaviour_packed_at(p_emp text[], p_period text[], p_at timestamptz)
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
