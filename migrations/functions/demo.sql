-- Demonstration data: simulated examinees (examd demo simulate).
--
-- Repeatable: examd migrate re-applies this file (CREATE OR REPLACE) whenever its checksum
-- changes, after the numbered migrations; see migrations/README.md.

-- Demo data (EXAMD_DEMO_DATA, `examd demo simulate`): simulated employees sim001.. (who cannot
-- log in) answer every blueprint of one level, so that a new installation shows real statistics.
-- Each has an ability drawn once from a standard normal distribution (Box-Muller on a hash of the
-- username and the seed); each question a difficulty in -1.5..1.5 and a discrimination in
-- 0.8..2.0 (hashes of its stem). A candidate knows the answer with probability
-- 1 / (1 + exp(-1.7 a (ability - b))), and otherwise guesses (choice questions), says
-- "不会" (fill-in) or leaves 3 % of the questions out. The draw is the exam start's (random
-- questions, shuffled options) under setseed. Returns the new open attempts, which examd scores
-- with its own scorer and closes; a level already simulated gives none.
CREATE OR REPLACE FUNCTION examd_demo_uniform(p_key text, p_seed bigint) RETURNS double precision
    LANGUAGE sql IMMUTABLE AS $$
    SELECT ((hashtextextended(p_key, p_seed) & 1073741823)::double precision + 0.5) / 1073741824.0
$$;

CREATE OR REPLACE FUNCTION examd_demo_simulate(p_employees int, p_seed bigint, p_level text, p_version int)
    RETURNS bigint[] LANGUAGE plpgsql AS $$
DECLARE
    v_version int := p_version; -- in force now: examd's (domain/rules.c)
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
