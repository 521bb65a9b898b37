-- Autosaves in groups (issue #8): while a worker's saves already occupy its connections, the saves
-- that arrive meanwhile go to PostgreSQL together as one statement, one transaction and one
-- commit. Each save is exactly examd_answer_save_session (0010), called once per element in
-- (attempt, question, arrival) order, so that concurrent groups take their locks in one order;
-- each save's outcome is its own element of the result. Nothing is answered before the commit.
-- If the statement fails as a whole (a deadlock with a close, for example), examd sends each save
-- of the group again on its own.
--
-- p_batch: [{"t": token hash, "a": attempt id, "q": question id, "v": answer (absent: the body
--            was malformed), "s": seq or null}, ...]
CREATE FUNCTION examd_answer_save_batch(p_batch jsonb, p_idle int, p_grace int)
    RETURNS TABLE (i int, result text) LANGUAGE plpgsql AS $$
DECLARE
    e record;
BEGIN
    FOR e IN SELECT (x.o - 1)::int AS k, x.v
             FROM jsonb_array_elements(p_batch) WITH ORDINALITY AS x(v, o)
             ORDER BY (x.v->>'a')::bigint, (x.v->>'q')::bigint, x.o
    LOOP
        i := e.k;
        result := examd_answer_save_session(e.v->>'t', p_idle, (e.v->>'a')::bigint, (e.v->>'q')::bigint,
                                            CASE WHEN e.v ? 'v' THEN e.v->'v' END, (e.v->>'s')::bigint,
                                            p_grace)::text;
        RETURN NEXT;
    END LOOP;
END $$;
