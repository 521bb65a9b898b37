-- Mass expiry (issue #17): thousands of attempts reach deadline + grace in the same second when a
-- session's window closes. Until now every process fetched the same 100 due attempts
-- (examd_attempts_due) and closed them one at a time, so a second process repeated the first one's
-- work and 100 attempts that could not be closed blocked the queue. Now:
--   - due attempts are claimed: examd_attempts_claim locks a batch of due, unclaimed rows with
--     FOR UPDATE SKIP LOCKED and stamps a lease on them (close_after = now() + lease, close_owner),
--     so processes take disjoint batches; a process killed mid-close leaves its claims to the
--     others when the lease runs out. The claim returns each attempt's scoring input, so one
--     round trip claims and reads.
--   - examd scores the batch with the exact C scorer and closes it with one statement,
--     examd_attempt_close_batch: each attempt goes through examd_attempt_close (advisory lock
--     ordering against saves, digest check, conditional status change), so every guarantee of one
--     close holds, and an attempt still closes exactly once whichever process reaches it.
--   - an attempt that cannot be closed is parked (close_failures + 1, close_after pushed back by
--     5 s doubling up to 5 min), so it never holds the head of the queue.
-- The lease and the parking only decide who tries when; whether an attempt closes is still
-- decided under its lock by examd_attempt_close.

ALTER TABLE attempts ADD COLUMN close_after timestamptz,
                     ADD COLUMN close_owner text,
                     ADD COLUMN close_failures int NOT NULL DEFAULT 0;
-- Room on each page for the claim's new row version: close_after and close_owner are in no index,
-- so with free space on the page the claim is a HOT update (no index entries, less WAL). New pages
-- only; the close itself changes the status, which partial indexes name, so it is never HOT.
ALTER TABLE attempts SET (fillfactor = 85);

-- The scoring input of attempts as compact text, one row per attempt (building it as JSON cost
-- PostgreSQL about 2 ms per 40-question attempt, mostly in json_build_object): a head line
-- "status<TAB>digest<TAB>weights<TAB>bands" (weights and bands as JSON, as in
-- examd_attempt_scoring_input), then per question in the order shown
-- "<LF>question_id<TAB>subtopic<TAB>type<TAB>points<TAB>key<TAB>answer" (key and answer as JSON text,
-- which escapes tabs and line feeds; answer empty when none was saved). digest is
-- examd_answers_digest's value, computed in the same pass.
CREATE FUNCTION examd_attempts_scoring_text(p_ids bigint[]) RETURNS TABLE (id bigint, input text)
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
CREATE FUNCTION examd_attempts_claim(p_grace int, p_limit int, p_lease_ms int, p_owner text)
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
CREATE FUNCTION examd_attempt_close_batch(p_batch jsonb, p_status text, p_grace int, p_actor text)
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
CREATE FUNCTION examd_attempts_park(p_ids bigint[], p_owner text) RETURNS int LANGUAGE sql AS $$
    WITH u AS (
        UPDATE attempts SET close_failures = close_failures + 1, close_owner = p_owner,
            close_after = now() + make_interval(secs => least(300, 5 * power(2, least(close_failures, 10))))
        WHERE id = ANY (p_ids) AND status = 'open'
        RETURNING 1)
    SELECT count(*)::int FROM u
$$;

-- For /metrics: open attempts, those past deadline + grace, the age of the oldest of them
-- (seconds past its deadline + grace), and how many have failed to close at least once.
CREATE FUNCTION examd_expiry_gauges(p_grace int, OUT open bigint, OUT due bigint, OUT oldest_overdue_seconds float8,
                                    OUT parked bigint) LANGUAGE sql STABLE AS $$
    SELECT count(*),
           count(*) FILTER (WHERE deadline < now() - make_interval(secs => p_grace)),
           coalesce(extract(epoch FROM now() - make_interval(secs => p_grace)
                                       - min(deadline) FILTER (WHERE deadline < now() - make_interval(secs => p_grace))), 0),
           count(*) FILTER (WHERE close_failures > 0)
    FROM attempts WHERE status = 'open'
$$;

-- Statistics bookkeeping leaves the close's path. A close wrote its attempt_cells row in the close's
-- own transaction (migration 0017), about 3 ms of PostgreSQL per 40-question attempt (each chosen
-- option is mapped back to the bank's order through the option texts): 20,000 closes at one
-- deadline spent a minute on it. The trigger now only queues the attempt; the cells are written
-- set-wise by examd_attempt_cells_flush, which the auto-submitter runs when nothing is due and
-- every statistics read runs first for its blueprint (so a read still sees every close).
CREATE TABLE attempt_cells_pending (
    attempt_id bigint PRIMARY KEY,
    item       text NOT NULL,
    level      text NOT NULL
);
CREATE INDEX attempt_cells_pending_blueprint ON attempt_cells_pending (item, level);

CREATE OR REPLACE FUNCTION examd_attempt_cells_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.standard_score IS NOT NULL THEN
        INSERT INTO attempt_cells_pending (attempt_id, item, level) VALUES (NEW.id, NEW.item, NEW.level)
        ON CONFLICT (attempt_id) DO NOTHING;
    END IF;
    RETURN NULL;
END $$;

-- Writes the cells of up to p_limit queued closes (of one blueprint, or of any when p_item is NULL),
-- in close order; returns how many. Concurrent flushes take disjoint rows (a blueprint's read waits
-- for a flush of its rows in flight, then finds them written).
CREATE FUNCTION examd_attempt_cells_flush(p_item text, p_level text, p_limit int) RETURNS int
    LANGUAGE plpgsql AS $$
DECLARE
    n int;
BEGIN
    WITH d AS (
        DELETE FROM attempt_cells_pending p
        WHERE p.attempt_id IN (SELECT x.attempt_id FROM attempt_cells_pending x
                               WHERE p_item IS NULL OR (x.item = p_item AND x.level = p_level)
                               ORDER BY x.attempt_id LIMIT p_limit FOR UPDATE)
        RETURNING p.attempt_id)
    INSERT INTO attempt_cells (attempt_id, item, level, username, started_at, standard_score, cells)
    SELECT a.id, a.item, a.level, a.username, a.started_at, a.standard_score, examd_attempt_cells_text(a.id)
    FROM attempts a JOIN d ON d.attempt_id = a.id
    WHERE a.standard_score IS NOT NULL
    ORDER BY a.submitted_at, a.id
    ON CONFLICT (attempt_id) DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;

-- As in 0017, after writing the blueprint's queued cells.
CREATE OR REPLACE FUNCTION examd_stats_gather(p_item text, p_level text, p_mode text)
    RETURNS TABLE (kind int, id bigint, a text, b text, c text, d text, e text) LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM examd_attempt_cells_flush(p_item, p_level, 2147483647);
    RETURN QUERY
    SELECT 0, q.id, coalesce(q.external_id, ''), q.type,
           jsonb_array_length(CASE WHEN q.type IN ('single', 'multiple') THEN q.options ELSE '[]' END)::text,
           CASE q.type WHEN 'single' THEN q.answer #>> '{}'
                       WHEN 'multiple' THEN (SELECT string_agg(x, '') FROM jsonb_array_elements_text(q.answer) x)
                       ELSE '' END,
           q.subtopic || ':' || q.level || ':' || left(q.stem, 200)
    FROM questions q WHERE q.item = p_item
    UNION ALL
    SELECT 1, c.attempt_id, c.standard_score::text, c.cells, NULL, NULL, NULL
    FROM (SELECT x.*, row_number() OVER (PARTITION BY x.username ORDER BY x.started_at, x.attempt_id) AS rn
          FROM attempt_cells x WHERE x.item = p_item AND x.level = p_level) c
    WHERE p_mode = 'all' OR c.rn = 1
    UNION ALL
    SELECT 2, count(*), coalesce(max(x.seq), 0)::text,
           (EXISTS (SELECT 1 FROM blueprints bp WHERE bp.item = p_item AND bp.level = p_level)
            OR count(*) > 0)::text, NULL, NULL, NULL
    FROM attempt_cells x WHERE x.item = p_item AND x.level = p_level;
END $$;

-- As in 0017; blueprints with queued cells are stale too.
CREATE OR REPLACE FUNCTION examd_stats_stale() RETURNS TABLE (item text, level text) LANGUAGE sql STABLE AS $$
    SELECT c.item, c.level
    FROM (SELECT DISTINCT x.item, x.level FROM blueprints x) c
    CROSS JOIN LATERAL (SELECT count(*) AS n, max(y.seq) AS m FROM attempt_cells y
                        WHERE y.item = c.item AND y.level = c.level) k
    LEFT JOIN blueprint_sem s ON s.item = c.item AND s.level = c.level
    WHERE (k.n > 0 AND (s.item IS NULL OR s.cells_count <> k.n OR s.cells_max <> k.m))
       OR EXISTS (SELECT 1 FROM attempt_cells_pending p WHERE p.item = c.item AND p.level = c.level)
$$;
