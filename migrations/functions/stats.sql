-- Item statistics: per-attempt answer cells kept on close, gathering and staleness.
--
-- Repeatable: examd migrate re-applies this file (CREATE OR REPLACE) whenever its checksum
-- changes, after the numbered migrations; see migrations/README.md.

CREATE OR REPLACE FUNCTION examd_attempt_cells_text(p_id bigint) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce(string_agg(q.question_id::text || ':'
                               || coalesce(a.result -> 'question_scores' ->> (q.question_id::text), '0') || ':'
                               || trim_scale(q.points)::text || ':'
                               || coalesce(examd_bank_labels(q.options, b.options, s.answer), ''),
                               ';' ORDER BY q.position), '')
    FROM attempts a
    JOIN attempt_questions q ON q.attempt_id = a.id
    LEFT JOIN answers s ON s.attempt_id = q.attempt_id AND s.question_id = q.question_id
    LEFT JOIN questions b ON b.id = q.question_id
    WHERE a.id = p_id
$$;

CREATE OR REPLACE FUNCTION examd_attempt_cells_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.standard_score IS NOT NULL THEN
        INSERT INTO attempt_cells_pending (attempt_id, item, level) VALUES (NEW.id, NEW.item, NEW.level)
        ON CONFLICT (attempt_id) DO NOTHING;
    END IF;
    RETURN NULL;
END $$;

-- Every close (submit, auto-submit, any process) goes through this UPDATE of the status.
CREATE OR REPLACE TRIGGER attempts_cells_on_close AFTER UPDATE OF status ON attempts
    FOR EACH ROW WHEN (OLD.status = 'open' AND NEW.status <> 'open')
    EXECUTE FUNCTION examd_attempt_cells_record();

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

-- Writes the cells of up to p_limit queued closes (of one blueprint, or of any when p_item is NULL),
-- in close order; returns how many. Concurrent flushes take disjoint rows (a blueprint's read waits
-- for a flush of its rows in flight, then finds them written).
CREATE OR REPLACE FUNCTION examd_attempt_cells_flush(p_item text, p_level text, p_limit int) RETURNS int
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
