-- Mass expiry: claiming due attempts in batches, closing a batch, parking failures, gauges.
--
-- Repeatable: examd migrate re-applies this file (CREATE OR REPLACE) whenever its checksum
-- changes, after the numbered migrations; see migrations/README.md.

-- Open attempts past deadline + grace, for the auto-submitter (several processes may ask at once:
-- closing is decided by examd_attempt_close, so each attempt closes exactly once).
CREATE OR REPLACE FUNCTION examd_attempts_due(p_grace int, p_limit int) RETURNS SETOF bigint LANGUAGE sql STABLE AS $$
    SELECT id FROM attempts WHERE status = 'open' AND deadline + make_interval(secs => p_grace) < now()
    ORDER BY deadline LIMIT p_limit
$$;

-- The scoring input of attempts as compact text, one row per attempt (building it as JSON cost
-- PostgreSQL about 2 ms per 40-question attempt, mostly in json_build_object): a head line
-- "status<TAB>digest<TAB>weights<TAB>bands" (weights and bands as JSON, as in
-- examd_attempt_scoring_input), then per question in the order shown
-- "<LF>question_id<TAB>subtopic<TAB>type<TAB>points<TAB>key<TAB>answer" (key and answer as JSON text,
-- which escapes tabs and line feeds; answer empty when none was saved). digest is
-- examd_answers_digest's value, computed in the same pass.
CREATE OR REPLACE FUNCTION examd_attempts_scoring_text(p_ids bigint[]) RETURNS TABLE (id bigint, input text)
    LANGUAGE sql STABLE AS $$
    SELECT a.id,
           a.status || E'\t' || coalesce(q.digest, 0)::text || E'\t'
           || coalesce((SELECT json_object_agg(w.subtopic, w.weight::text) FROM model_subtopic_weights w
                        WHERE w.version = a.model_version AND w.item = a.item AND w.level = a.level)::text, '{}')
           || E'\t'
           || coalesce((SELECT json_agg(json_build_object('score', b.score, 'min', b.min::text) ORDER BY b.score DESC)
                        FROM model_exam_bands b WHERE b.version = a.model_version)::text, '[]')
           || coalesce(q.lines, '')
    FROM attempts a
    LEFT JOIN LATERAL (
        SELECT string_agg(E'\n' || q.question_id::text || E'\t' || q.subtopic || E'\t' || q.type || E'\t'
                          || q.points::text || E'\t' || q.answer::text || E'\t' || coalesce(s.answer::text, ''),
                          '' ORDER BY q.position) AS lines,
               coalesce(hashtextextended(string_agg(s.question_id::text || '=' || s.answer::text, ','
                                                    ORDER BY s.question_id) FILTER (WHERE s.question_id IS NOT NULL),
                                         0), 0) AS digest
        FROM attempt_questions q
        LEFT JOIN answers s ON s.attempt_id = q.attempt_id AND s.question_id = q.question_id
        WHERE q.attempt_id = a.id) q ON true
    WHERE a.id = ANY (p_ids)
    ORDER BY a.id
$$;

-- Claims up to p_limit due attempts for p_lease_ms milliseconds and returns their scoring input.
-- A lease that runs out while its batch is still being closed only costs work: the close decides.
CREATE OR REPLACE FUNCTION examd_attempts_claim(p_grace int, p_limit int, p_lease_ms int, p_owner text)
    RETURNS TABLE (id bigint, input text) LANGUAGE plpgsql AS $$
DECLARE
    v_ids bigint[];
BEGIN
    WITH c AS (
        SELECT a.id FROM attempts a
        WHERE a.status = 'open' AND a.deadline < now() - make_interval(secs => p_grace)
          AND (a.close_after IS NULL OR a.close_after <= now())
        ORDER BY a.deadline
        LIMIT p_limit
        FOR UPDATE SKIP LOCKED),
    u AS (
        UPDATE attempts a SET close_after = now() + make_interval(secs => p_lease_ms / 1000.0), close_owner = p_owner
        FROM c WHERE a.id = c.id
        RETURNING a.id)
    SELECT array_agg(u.id ORDER BY u.id) INTO v_ids FROM u;
    RETURN QUERY SELECT t.id, t.input FROM examd_attempts_scoring_text(v_ids) t;
END $$;

-- Closes a batch: p_batch = [{"id", "version", "result"}] (the scorer's output for the answers
-- digest "version"), in one transaction and set-wise: the same rules as examd_attempt_close for each
-- attempt. First the advisory locks of the attempts, in id order (saves hold them shared, so every
-- save that got in has committed when they are granted, and no new one gets in until the commit);
-- then, in a statement whose snapshot is taken under those locks, the status and the digest of
-- each attempt are read and the open ones whose answers are unchanged are closed, with one audit
-- entry each. Outcomes as examd_attempt_close: closed, already, changed.
CREATE OR REPLACE FUNCTION examd_attempt_close_batch(p_batch jsonb, p_status text, p_grace int, p_actor text)
    RETURNS TABLE (id bigint, outcome text) LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(1703, (x.id % 2147483647)::int)
    FROM (SELECT DISTINCT (e->>'id')::bigint AS id FROM jsonb_array_elements(p_batch) e ORDER BY 1) x;
    RETURN QUERY
    WITH b AS (
        SELECT DISTINCT ON ((e->>'id')::bigint) (e->>'id')::bigint AS id, (e->>'version')::bigint AS version,
               e->'result' AS r
        FROM jsonb_array_elements(p_batch) e),
    s AS (
        SELECT b.id, b.r, a.status AS cur, a.model_version, a.username, a.item, a.level,
               CASE WHEN now() > a.deadline + make_interval(secs => p_grace) THEN 'auto_submitted' ELSE p_status END
                   AS st,
               a.status = 'open' AND examd_answers_digest(a.id) = b.version AS ok
        FROM b JOIN attempts a ON a.id = b.id),
    u AS (
        UPDATE attempts a SET status = s.st, submitted_at = now(), standard_score = (s.r->>'standard_score')::numeric,
            band = (s.r->>'band')::int,
            result = jsonb_build_object(
                'status', s.st, 'submitted_at', examd_ts(now()), 'standard_score', (s.r->>'standard_score')::numeric,
                'band', (s.r->>'band')::int, 'band_name_zh', s.r->>'band_name_zh', 'model_version', s.model_version,
                'equal_weights', s.r->'equal_weights',
                'subtopic_scores', coalesce((SELECT jsonb_agg(jsonb_build_object(
                        'subtopic', e->>'subtopic', 'questions', (e->>'questions')::int,
                        'earned', (e->>'earned')::numeric, 'possible', (e->>'possible')::numeric,
                        'score', (e->>'score')::numeric, 'weight', (e->>'weight')::numeric)
                        ORDER BY (SELECT m.position FROM model_subtopics m WHERE m.code = e->>'subtopic'), o)
                    FROM jsonb_array_elements(s.r->'subtopic_scores') WITH ORDINALITY AS t(e, o)), '[]'),
                'question_scores', s.r->'question_scores')
        FROM s
        WHERE a.id = s.id AND s.ok
        RETURNING a.id, s.st, s.username, s.item, s.level, a.standard_score, a.band),
    au AS (
        INSERT INTO audit_log (actor, action, target, detail)
        SELECT p_actor, 'attempt.' || u.st, 'attempt:' || u.id,
               jsonb_build_object('username', u.username, 'item', u.item, 'level', u.level,
                                  'standard_score', u.standard_score, 'band', u.band)
        FROM u ORDER BY u.id
        RETURNING 1)
    SELECT s.id, CASE WHEN u.id IS NOT NULL THEN 'closed' WHEN s.cur = 'open' THEN 'changed' ELSE 'already' END
    FROM s LEFT JOIN u ON u.id = s.id
    ORDER BY s.id;
END $$;

-- Parks attempts that failed to close: later tries, further apart, never at the head of the queue.
CREATE OR REPLACE FUNCTION examd_attempts_park(p_ids bigint[], p_owner text) RETURNS int LANGUAGE sql AS $$
    WITH u AS (
        UPDATE attempts SET close_failures = close_failures + 1, close_owner = p_owner,
            close_after = now() + make_interval(secs => least(300, 5 * power(2, least(close_failures, 10))))
        WHERE id = ANY (p_ids) AND status = 'open'
        RETURNING 1)
    SELECT count(*)::int FROM u
$$;

-- For /metrics: open attempts, those past deadline + grace, the age of the oldest of them
-- (seconds past its deadline + grace), and how many have failed to close at least once.
CREATE OR REPLACE FUNCTION examd_expiry_gauges(p_grace int, OUT open bigint, OUT due bigint, OUT oldest_overdue_seconds float8,
                                    OUT parked bigint) LANGUAGE sql STABLE AS $$
    SELECT count(*),
           count(*) FILTER (WHERE deadline < now() - make_interval(secs => p_grace)),
           coalesce(extract(epoch FROM now() - make_interval(secs => p_grace)
                                       - min(deadline) FILTER (WHERE deadline < now() - make_interval(secs => p_grace))), 0),
           count(*) FILTER (WHERE close_failures > 0)
    FROM attempts WHERE status = 'open'
$$;
