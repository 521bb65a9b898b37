-- Autosaves in groups (issue #8): while a worker's saves already occupy its save slots, the saves
-- that arrive meanwhile go to PostgreSQL together as one statement, one transaction and one
-- commit. Each save is exactly examd_answer_save_session (0010), called once per element; each
-- save's outcome is its own element of the result. Nothing is answered before the commit. If the
-- statement fails as a whole, examd sends each save of the group again on its own.
--
-- Order, so that concurrent groups take their locks in one order: by token (a save may refresh
-- its session's last_seen), then attempt and question (the attempt's advisory lock, shared, and
-- the answer row), then arrival (two saves of one question keep their order). Two groups could
-- still wait on each other only through one attempt saved from two sessions of its owner in
-- opposite question orders; PostgreSQL then aborts one group (40P01) and examd retries its saves
-- one by one.
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
             ORDER BY x.v->>'t' COLLATE "C", (x.v->>'a')::bigint, (x.v->>'q')::bigint, x.o
    LOOP
        i := e.k;
        result := examd_answer_save_session(e.v->>'t', p_idle, (e.v->>'a')::bigint, (e.v->>'q')::bigint,
                                            CASE WHEN e.v ? 'v' THEN e.v->'v' END, (e.v->>'s')::bigint,
                                            p_grace)::text;
        RETURN NEXT;
    END LOOP;
END $$;
