-- Item statistics (issue #16, SPEC §4.6a). A close writes one compact row per attempt,
-- attempt_cells, so that the statistics of a blueprint read 20,000 short rows instead of
-- 800,000 snapshot rows with their stems and options; the statistics themselves are computed
-- in examd (domain/itemstats.c) on the offload pool. blueprint_sem keeps each blueprint's
-- reliability and SEM, refreshed by examd in the background after closes, so that results and
-- profiles read a number instead of computing statistics.

-- The options an answer chose, as labels of the bank's own order ("AC"), from the labels shown
-- to the attempt (options shuffled at the draw, migration 0011). The snapshot keeps the shown
-- texts and the question row keeps the bank's texts in bank order, so a label maps through its
-- text (two options of one question with the same text are indistinguishable to a candidate too:
-- the first one is named). NULL when nothing was chosen or the question has no options.
CREATE FUNCTION examd_bank_labels(p_shown jsonb, p_bank jsonb, p_answer jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$
    SELECT string_agg(DISTINCT chr(65 + y.bi), '')
    FROM (SELECT (SELECT min(o)::int - 1 FROM jsonb_array_elements_text(p_bank) WITH ORDINALITY AS t(v, o)
                  WHERE v = p_shown -> (ascii(x.l) - 65) ->> 'text') AS bi
          FROM (SELECT p_answer #>> '{}' AS l WHERE jsonb_typeof(p_answer) = 'string'
                UNION ALL
                SELECT jsonb_array_elements_text(p_answer) WHERE jsonb_typeof(p_answer) = 'array') x
          WHERE jsonb_typeof(p_shown) = 'array' AND jsonb_array_length(p_shown) > 0 AND length(x.l) = 1) y
    WHERE y.bi IS NOT NULL
$$;

-- One closed attempt for the statistics: its standard score and, per question in the order
-- shown, "question_id:earned:possible:chosen" joined by ';' (chosen in bank labels, may be empty).
CREATE TABLE attempt_cells (
    attempt_id     bigint PRIMARY KEY,
    seq            bigserial NOT NULL,
    item           text NOT NULL,
    level          text NOT NULL,
    username       text NOT NULL,
    started_at     timestamptz NOT NULL,
    standard_score numeric(5, 2) NOT NULL,
    cells          text NOT NULL
);
CREATE INDEX attempt_cells_blueprint ON attempt_cells (item, level, username, started_at);
CREATE INDEX attempt_cells_seq ON attempt_cells (item, level, seq);

CREATE FUNCTION examd_attempt_cells_text(p_id bigint) RETURNS text LANGUAGE sql STABLE AS $$
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

CREATE FUNCTION examd_attempt_cells_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.standard_score IS NOT NULL THEN
        INSERT INTO attempt_cells (attempt_id, item, level, username, started_at, standard_score, cells)
        VALUES (NEW.id, NEW.item, NEW.level, NEW.username, NEW.started_at, NEW.standard_score,
                examd_attempt_cells_text(NEW.id))
        ON CONFLICT (attempt_id) DO NOTHING;
    END IF;
    RETURN NULL;
END $$;

-- Every close (submit, auto-submit, any process) goes through this UPDATE of the status.
CREATE TRIGGER attempts_cells_on_close AFTER UPDATE OF status ON attempts
    FOR EACH ROW WHEN (OLD.status = 'open' AND NEW.status <> 'open')
    EXECUTE FUNCTION examd_attempt_cells_record();

-- The attempts closed before this migration.
INSERT INTO attempt_cells (attempt_id, item, level, username, started_at, standard_score, cells)
SELECT a.id, a.item, a.level, a.username, a.started_at, a.standard_score, examd_attempt_cells_text(a.id)
FROM attempts a
WHERE a.status <> 'open' AND a.standard_score IS NOT NULL
ORDER BY a.submitted_at, a.id;

-- The statistics of a blueprint as examd reads them: the questions of the item (every version:
-- retired ones still appear in old attempts), the attempts selected ('first': each employee's
-- first closed attempt; 'all'), and one summary row (all cells counted, their last seq, whether
-- the blueprint exists). kind 0 / 1 / 2.
CREATE FUNCTION examd_stats_gather(p_item text, p_level text, p_mode text)
    RETURNS TABLE (kind int, id bigint, a text, b text, c text, d text, e text) LANGUAGE sql STABLE AS $$
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
    FROM attempt_cells x WHERE x.item = p_item AND x.level = p_level
$$;

-- Each blueprint's reliability and SEM from each employee's first closed attempt, written by
-- examd's background refresher; cells_count and cells_max say which closes it covers.
CREATE TABLE blueprint_sem (
    item        text NOT NULL,
    level       text NOT NULL,
    attempts    int NOT NULL,
    mean        double precision,
    sd          double precision,
    alpha       double precision,
    sem         double precision,
    cells_count bigint NOT NULL,
    cells_max   bigint NOT NULL,
    computed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (item, level)
);

-- The blueprints whose cells changed since their SEM was computed.
CREATE FUNCTION examd_stats_stale() RETURNS TABLE (item text, level text) LANGUAGE sql STABLE AS $$
    SELECT c.item, c.level
    FROM (SELECT DISTINCT x.item, x.level FROM blueprints x) c
    CROSS JOIN LATERAL (SELECT count(*) AS n, max(y.seq) AS m FROM attempt_cells y
                        WHERE y.item = c.item AND y.level = c.level) k
    LEFT JOIN blueprint_sem s ON s.item = c.item AND s.level = c.level
    WHERE k.n > 0 AND (s.item IS NULL OR s.cells_count <> k.n OR s.cells_max <> k.m)
$$;

-- The exam band thresholds of a model version as "score:min,..." for examd's band arithmetic.
CREATE FUNCTION examd_bands_text(p_version int) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT string_agg(b.score || ':' || b.min, ',' ORDER BY b.score DESC) FROM model_exam_bands b
    WHERE b.version = p_version
$$;

-- Demo data (EXAMD_DEMO_DATA, `examd demo simulate`): simulated employees sim001.. (who cannot
-- log in) answer every blueprint of one level, so that a new installation shows real statistics.
-- Each has an ability drawn once from a standard normal distribution (Box-Muller on a hash of the
-- username and the seed); each question a difficulty in -1.5..1.5 and a discrimination in
-- 0.8..2.0 (hashes of its stem). A candidate knows the answer with probability
-- 1 / (1 + exp(-1.7 a (ability - b))), and otherwise guesses (choice questions), says
-- "不会" (fill-in) or leaves 3 % of the questions out. The draw is the exam start's (random
-- questions, shuffled options) under setseed. Returns the new open attempts, which examd scores
-- with its own scorer and closes; a level already simulated gives none.
CREATE FUNCTION examd_demo_uniform(p_key text, p_seed bigint) RETURNS double precision
    LANGUAGE sql IMMUTABLE AS $$
    SELECT ((hashtextextended(p_key, p_seed) & 1073741823)::double precision + 0.5) / 1073741824.0
$$;

CREATE FUNCTION examd_demo_simulate(p_employees int, p_seed bigint, p_level text) RETURNS bigint[]
    LANGUAGE plpgsql AS $$
DECLARE
    v_version int := examd_model_version_at(now());
    v_ids bigint[];
BEGIN
    IF EXISTS (SELECT 1 FROM attempts a WHERE a.username LIKE 'sim%' AND a.level = p_level
               AND a.username IN (SELECT username FROM users WHERE department = '模拟数据')) THEN
        RETURN '{}';
    END IF;
    PERFORM setseed(((p_seed % 1000) / 1000.0)::double precision);
    INSERT INTO users (username, name, role, department, password_hash)
    SELECT 'sim' || lpad(i::text, 3, '0'), '模拟学员' || lpad(i::text, 3, '0'), 'employee', '模拟数据', '!'
    FROM generate_series(1, p_employees) i
    ON CONFLICT (username) DO NOTHING;
    INSERT INTO user_grades (username, grade, effective_from, recorded_by)
    SELECT u.username, 4 - (substr(u.username, 4)::int % 4), '2020-01-01', 'examd-demo'
    FROM users u WHERE u.department = '模拟数据' AND u.username LIKE 'sim%'
      AND NOT EXISTS (SELECT 1 FROM user_grades g WHERE g.username = u.username);

    WITH new AS (
        INSERT INTO attempts (username, item, level, status, model_version, grading, time_limit_seconds,
                              started_at, deadline)
        SELECT u.username, bp.item, bp.level, 'open', v_version, bp.grading, bp.time_limit_seconds,
               now() - make_interval(hours => 1 + floor(examd_demo_uniform(u.username || bp.item || bp.level,
                                                                            p_seed) * 24 * 60)::int),
               now() + interval '1 hour'
        FROM users u CROSS JOIN blueprints bp
        WHERE u.department = '模拟数据' AND u.username LIKE 'sim%' AND bp.level = p_level
          AND substr(u.username, 4)::int <= p_employees
        ORDER BY u.username, bp.item
        RETURNING id)
    SELECT array_agg(id ORDER BY id) INTO v_ids FROM new;
    IF v_ids IS NULL THEN
        RETURN '{}';
    END IF;

    INSERT INTO attempt_questions (attempt_id, question_id, position, subtopic, type, stem, options, answer,
                                   points, explanation)
    SELECT a.id, q.id, row_number() OVER (PARTITION BY a.id ORDER BY random()), q.subtopic, q.type, q.stem,
           CASE WHEN q.type IN ('single', 'multiple') THEN
               (SELECT jsonb_agg(jsonb_build_object('id', chr(64 + n), 'text', q.options->>(p.perm[n])) ORDER BY n)
                FROM generate_subscripts(p.perm, 1) AS n)
           ELSE '[]'::jsonb END,
           CASE q.type
               WHEN 'single' THEN to_jsonb(chr(64 + array_position(p.perm, ascii(q.answer #>> '{}') - 65)))
               WHEN 'multiple' THEN
                   (SELECT jsonb_agg(x.label ORDER BY x.label)
                    FROM (SELECT chr(64 + array_position(p.perm, ascii(l) - 65)) AS label
                          FROM jsonb_array_elements_text(q.answer) AS l) x)
               ELSE q.answer END,
           q.points, q.explanation
    FROM attempts a
    JOIN blueprint_draws d ON d.item = a.item AND d.level = a.level
    CROSS JOIN LATERAL (SELECT * FROM questions q WHERE q.active AND q.item = d.item AND q.subtopic = d.subtopic
                        AND q.level = d.draw_level AND a.id > 0 ORDER BY random() LIMIT d.count) q
    CROSS JOIN LATERAL (SELECT array_agg((o - 1)::int ORDER BY random()) AS perm
                        FROM jsonb_array_elements(CASE WHEN q.type IN ('single', 'multiple') THEN q.options
                                                       ELSE '[]'::jsonb END) WITH ORDINALITY AS t(v, o)
                        WHERE a.id > 0) p
    WHERE a.id = ANY (v_ids)
    ORDER BY a.id, d.position;

    INSERT INTO answers (attempt_id, question_id, answer, seq, saved_at)
    SELECT s.attempt_id, s.question_id,
           CASE WHEN s.knows THEN s.key
                WHEN s.type = 'single' THEN to_jsonb(chr(65 + floor(s.u2 * s.n)::int))
                WHEN s.type = 'multiple' THEN
                    coalesce((SELECT jsonb_agg(l ORDER BY l) FROM (
                                  SELECT l FROM jsonb_array_elements_text(s.key) l WHERE l <> chr(65 + floor(s.u2 * s.n)::int)
                                  UNION SELECT chr(65 + floor(s.u2 * s.n)::int)
                                  WHERE NOT s.key ? chr(65 + floor(s.u2 * s.n)::int)) z),
                             jsonb_build_array(chr(65 + floor(s.u3 * s.n)::int)))
                WHEN s.type = 'truefalse' THEN to_jsonb(s.u2 < 0.5)
                ELSE to_jsonb('不会'::text) END,
           0, now()
    FROM (SELECT q.attempt_id, q.question_id, q.type, q.answer AS key, jsonb_array_length(q.options) AS n,
                 examd_demo_uniform(a.username || ':' || q.question_id || ':' || a.id, p_seed) AS u1,
                 examd_demo_uniform(a.id || ':' || q.question_id, p_seed + 1) AS u2,
                 examd_demo_uniform(a.id || ':' || q.question_id, p_seed + 2) AS u3,
                 examd_demo_uniform(a.id || ':' || q.question_id, p_seed + 3) AS u4,
                 examd_demo_uniform(a.username || ':' || q.question_id || ':' || a.id, p_seed)
                     < 1 / (1 + exp(-1.7 * (0.8 + 1.2 * examd_demo_uniform(q.stem, 11))
                                    * (ab.theta - (3 * examd_demo_uniform(q.stem, 12) - 1.5)))) AS knows
          FROM attempts a
          JOIN attempt_questions q ON q.attempt_id = a.id
          CROSS JOIN LATERAL (SELECT sqrt(-2 * ln(examd_demo_uniform(a.username, p_seed)))
                                     * cos(2 * pi() * examd_demo_uniform(a.username, p_seed + 7)) AS theta) ab
          WHERE a.id = ANY (v_ids)) s
    WHERE s.u4 >= 0.03 AND (s.knows OR s.type <> 'multiple' OR s.n > 0);
    RETURN v_ids;
END $$;
