-- Autosaves in groups (issue #8): while a worker's saves already occupy its save slots, the saves
-- that arrive meanwhile go to PostgreSQL together as one statement, one transaction and one
-- commit. Each save is exactly examd_answer_save_session (0010), called once per element; each
-- save's outcome is its own element of the result. Nothing is answered before the commit. If the
-- statement fails as a whole, examd sends each save of the group again on its own.
--
-- Lock order, so that concurrent groups cannot deadlock each other: first the sessions rows the
-- saves will touch (a save refreshes last_seen when it is over 30 s old; now() is fixed for the
-- transaction, so exactly these rows), in token order; then the saves in (attempt, question,
-- arrival) order, each taking its attempt's advisory lock shared and its answer row.
--
-- p_lock_timeout_ms: a statement in one of a worker's two save slots waits at most this long for
-- a lock (a close holding an attempt, a writer holding an answer row; EXAMD_SAVE_LOCK_TIMEOUT_MS,
-- default 1 s), so one blocked attempt does not hold up the worker's other saves; examd then sends
-- those saves again alone, without the limit.
--
-- p_batch: [{"t": token hash, "a": attempt id, "q": question id, "v": answer (absent: the body
--            was malformed), "s": seq or null}, ...]
CREATE FUNCTION examd_answer_save_batch(p_batch jsonb, p_idle int, p_grace int, p_lock_timeout_ms int)
    RETURNS TABLE (i int, result text) LANGUAGE plpgsql AS $$
DECLARE
    e record;
BEGIN
    PERFORM set_config('lock_timeout', p_lock_timeout_ms || 'ms', true);
    PERFORM 1 FROM sessions s
    WHERE s.token_hash IN (SELECT x->>'t' FROM jsonb_array_elements(p_batch) x)
      AND s.last_seen < now() - interval '30 seconds'
    ORDER BY s.token_hash
    FOR UPDATE;
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

-- One save alone in a save slot: the same statement with the same lock limit.
CREATE FUNCTION examd_answer_save_limited(p_token_hash text, p_idle int, p_attempt bigint, p_question bigint,
                                          p_answer jsonb, p_seq bigint, p_grace int, p_lock_timeout_ms int)
    RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('lock_timeout', p_lock_timeout_ms || 'ms', true);
    RETURN examd_answer_save_session(p_token_hash, p_idle, p_attempt, p_question, p_answer, p_seq, p_grace)::text;
END $$;
