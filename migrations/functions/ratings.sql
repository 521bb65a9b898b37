-- Behaviour ratings import and checks.
--
-- Repeatable: examd migrate re-applies this file (CREATE OR REPLACE) whenever its checksum
-- changes, after the numbered migrations; see migrations/README.md.

-- Ratings imports: the employee check as its own function (also run by a dry run), and its
-- errors with a stable code and parameters, like the parser's (the web UI renders them in Chinese).
CREATE OR REPLACE FUNCTION examd_ratings_check(p_rows jsonb) RETURNS jsonb
    LANGUAGE sql STABLE AS $$
    SELECT jsonb_agg(jsonb_build_object(
               'row', (r->>'row')::int, 'column', 'employee',
               'code', CASE WHEN u.username IS NULL THEN 'unknown_employee' ELSE 'not_employee' END,
               'message', CASE WHEN u.username IS NULL THEN 'no such user: ' || (r->>'employee')
                               ELSE (r->>'employee') || ' is not an employee' END,
               'details', jsonb_build_object('value', r->>'employee'))
           ORDER BY (r->>'row')::int)
    FROM jsonb_array_elements(p_rows) r
    LEFT JOIN users u ON u.username = r->>'employee'
    WHERE u.username IS NULL OR u.role <> 'employee'
$$;

CREATE OR REPLACE FUNCTION examd_ratings_import(p_rows jsonb, p_actor text, p_address text,
                                     OUT status text, OUT created int, OUT errors jsonb)
    LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    errors := examd_ratings_check(p_rows);
    IF errors IS NOT NULL THEN
        status := 'rows_rejected';
        created := 0;
        RETURN;
    END IF;
    INSERT INTO behaviour_ratings (employee, item, score, rater, relation, period, rated_level, rated_at, note)
    SELECT r->>'employee', r->>'item', (r->>'score')::smallint, r->>'rater', r->>'relation', r->>'period',
           r->>'rated_level', coalesce((r->>'rated_at')::timestamptz, now()), r->>'note'
    FROM jsonb_array_elements(p_rows) r;
    GET DIAGNOSTICS created = ROW_COUNT;
    INSERT INTO audit_log (actor, action, target, address, detail)
    VALUES (p_actor, 'ratings.import', 'behaviour_ratings', p_address, jsonb_build_object('created', created));
    status := 'ok';
END $$;
