-- The autosave in one round trip: the session check and the save in one statement
-- (examd_answer_save_session), instead of one statement for the session and one for the save.

CREATE FUNCTION examd_answer_save_session(p_token_hash text, p_idle int, p_attempt bigint, p_question bigint,
                                          p_answer jsonb, p_seq bigint, p_grace int) RETURNS jsonb
    LANGUAGE plpgsql AS $$
DECLARE
    v_user text;
    v_role text;
    v_last timestamptz;
BEGIN
    SELECT u.username, u.role, s.last_seen INTO v_user, v_role, v_last
    FROM sessions s JOIN users u ON u.username = s.username
    WHERE s.token_hash = p_token_hash AND s.expires_at > now() AND u.active
      AND s.last_seen > now() - make_interval(secs => p_idle);
    IF NOT FOUND THEN
        RETURN jsonb_build_object('error', 'unauthenticated');
    END IF;
    IF v_last < now() - interval '30 seconds' THEN
        UPDATE sessions SET last_seen = now() WHERE token_hash = p_token_hash;
    END IF;
    IF v_role <> 'employee' THEN
        RETURN jsonb_build_object('error', 'forbidden', 'username', v_user);
    END IF;
    RETURN examd_answer_save(p_attempt, p_question, v_user, p_answer, p_seq, p_grace)
           || jsonb_build_object('username', v_user);
END $$;
