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

CREATE TABLE behaviour_packed (
    employee text NOT NULL,
    period   text NOT NULL,
    packed   text NOT NULL,
    PRIMARY KEY (employee, period)
);

-- (A data move that called functions of this migration ran here; databases migrated
-- before the functions moved to migrations/functions/ have run it. See migrations/README.md.)

-- The functions and triggers this migration created or replaced now live in
-- migrations/functions/ (moved 2026-12-02, after efaa608).
