-- SQL selects evidence only (SPEC §3.2-§3.4; issue #15): the scoring rules live in one place,
-- service/domain/rules.c, and every reader hands it the raw facts gathered here.
--
-- Removed: the rules that migrations 0009, 0013 and 0018 kept in SQL for the HR listing (each
-- rater's latest rating and the level it was made against, maintained by triggers in
-- behaviour_latest, summed per relation in behaviour_summary and packed in behaviour_packed; the
-- packed summary as of a time; the listing's rules document). In their place one cache of raw
-- evidence, behaviour_evidence: every rating of an employee's period packed as text, kept by a
-- trigger on the records table. It decides nothing: which rating is a rater's latest as of T, the
-- level it counts at and its weight are decided in C.
--
-- Packed columns (entries separated by ',', fields by ':'; level codes and numbers only; times in
-- microseconds since the epoch):
--   grades   from:grade                       the grade history in the order (effective_from, id)
--   exam     position:level:started_at:id:standard_score:band   closed attempts submitted by T
--                                             (score and band empty when NULL)
--   ratings  position:rater:relation:rated_level:rated_at:id:score   every rating of the period
--                                             (rated_level empty when NULL; rater numbered within
--                                             the employee's period, by the rater's text in "C" order;
--                                             relation 0..5: self, supervisor, peer, subordinate,
--                                             customer, hr)

-- ---------------------------------------------------------------- what goes
DROP TRIGGER IF EXISTS behaviour_ratings_inserted ON behaviour_ratings;
DROP TRIGGER IF EXISTS behaviour_ratings_updated ON behaviour_ratings;
DROP TRIGGER IF EXISTS behaviour_ratings_deleted ON behaviour_ratings;
DROP TRIGGER IF EXISTS behaviour_ratings_truncated ON behaviour_ratings;
DROP TRIGGER IF EXISTS user_grades_inserted ON user_grades;
DROP TRIGGER IF EXISTS user_grades_updated ON user_grades;
DROP TRIGGER IF EXISTS user_grades_deleted ON user_grades;
DROP TRIGGER IF EXISTS model_versions_inserted ON model_versions;
DROP TRIGGER IF EXISTS model_required_levels_inserted ON model_required_levels;
DROP FUNCTION IF EXISTS examd_behaviour_ratings_changed();
DROP FUNCTION IF EXISTS examd_behaviour_grades_changed();
DROP FUNCTION IF EXISTS examd_behaviour_model_changed();
DROP FUNCTION IF EXISTS examd_behaviour_rebuild();
DROP FUNCTION IF EXISTS examd_behaviour_refresh(text[], text[], text[]);
DROP FUNCTION IF EXISTS examd_profile_listing_packed(text[], timestamptz, text);
DROP FUNCTION IF EXISTS examd_behaviour_packed_at(text[], text[], timestamptz);
DROP FUNCTION IF EXISTS examd_listing_rules(int);

DROP TABLE behaviour_packed;
DROP TABLE behaviour_summary;
DROP FUNCTION IF EXISTS examd_behaviour_summary_changed();
DROP FUNCTION IF EXISTS examd_behaviour_repack(text[], text[]);

DROP TABLE behaviour_latest;

-- ---------------------------------------------------------------- the raw rating cache
CREATE TABLE behaviour_evidence (
    employee text NOT NULL,
    period   text NOT NULL,
    ratings  text NOT NULL,
    PRIMARY KEY (employee, period)
);

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
      JOIN model_items i ON i.code = r.item) x
GROUP BY x.employee, x.period;
