-- Exam sessions: cohorts, windows, overrides, rosters.
--
-- Repeatable: examd migrate re-applies this file (CREATE OR REPLACE) whenever its checksum
-- changes, after the numbered migrations; see migrations/README.md.

-- The cohort rule: active employees named in usernames, and those whose department is one of
-- departments (when any is given) and whose grade now is one of grades (when any is given), when
-- at least one of the two is given. The grade held now is examd's (p_now: examd_now_grade, model.sql).
CREATE OR REPLACE FUNCTION examd_session_invitees(p_session bigint, p_now jsonb)
    RETURNS TABLE (username text, name text, department text, grade int) LANGUAGE sql STABLE AS $$
    SELECT u.username, u.name, u.department, examd_now_grade(p_now, u.username)
    FROM exam_sessions s
    JOIN users u ON u.role = 'employee' AND u.active
    WHERE s.id = p_session
      AND (u.username = ANY (s.usernames)
           OR ((cardinality(s.departments) > 0 OR cardinality(s.grades) > 0)
               AND (cardinality(s.departments) = 0 OR u.department = ANY (s.departments))
               AND (cardinality(s.grades) = 0 OR examd_now_grade(p_now, u.username) = ANY (s.grades))))
$$;

CREATE OR REPLACE FUNCTION examd_session_invited(p_session bigint, p_username text, p_now jsonb) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM exam_sessions s JOIN users u ON u.username = p_username
                   WHERE s.id = p_session AND u.role = 'employee' AND u.active
                     AND (u.username = ANY (s.usernames)
                          OR ((cardinality(s.departments) > 0 OR cardinality(s.grades) > 0)
                              AND (cardinality(s.departments) = 0 OR u.department = ANY (s.departments))
                              AND (cardinality(s.grades) = 0 OR examd_now_grade(p_now, u.username) = ANY (s.grades)))))
$$;

-- Until when a session's results stay hidden: its close, or the latest personal window's.
CREATE OR REPLACE FUNCTION examd_session_reveal_at(p_session bigint) RETURNS timestamptz LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN s.results = 'after_close'
                THEN greatest(s.closes_at, (SELECT max(o.closes_at) FROM exam_session_overrides o WHERE o.session_id = s.id))
           END
    FROM exam_sessions s WHERE s.id = p_session
$$;

-- The session as the API shows it; for an employee (p_username) with their window, items at their
-- level and attempts.
CREATE OR REPLACE FUNCTION examd_session_json(p_id bigint, p_username text, p_now jsonb) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'id', s.id, 'title', s.title, 'opens_at', examd_ts(s.opens_at), 'closes_at', examd_ts(s.closes_at),
        'time_limit_seconds', s.time_limit_seconds, 'attempts_allowed', s.attempts_allowed, 'results', s.results,
        'cohort', jsonb_build_object('departments', to_jsonb(s.departments), 'grades', to_jsonb(s.grades),
                                     'usernames', to_jsonb(s.usernames)),
        'created_by', s.created_by, 'created_at', examd_ts(s.created_at), 'server_time', examd_ts(now()),
        'state', CASE WHEN now() < s.opens_at THEN 'upcoming' WHEN now() <= s.closes_at THEN 'open' ELSE 'closed' END,
        'items', (SELECT jsonb_agg(jsonb_build_object(
                      'item', i.item, 'name_zh', m.name_zh, 'level', i.level,
                      'your_level', CASE WHEN p_username IS NOT NULL
                                         THEN coalesce(i.level, examd_now_level(p_now, p_username, i.item)) END,
                      'attempts_used', CASE WHEN p_username IS NOT NULL THEN
                          (SELECT count(*) FROM attempts a WHERE a.session_id = s.id AND a.username = p_username
                             AND a.item = i.item AND a.status <> 'voided') END,
                      'open_attempt_id', CASE WHEN p_username IS NOT NULL THEN
                          (SELECT a.id FROM attempts a WHERE a.session_id = s.id AND a.username = p_username
                             AND a.item = i.item AND a.status = 'open') END)
                      ORDER BY i.position)
                  FROM exam_session_items i JOIN model_items m ON m.code = i.item WHERE i.session_id = s.id),
        'invitees', CASE WHEN p_username IS NULL THEN (SELECT count(*) FROM examd_session_invitees(s.id, p_now)) END,
        'overrides', CASE WHEN p_username IS NULL THEN
                         (SELECT count(*) FROM exam_session_overrides o WHERE o.session_id = s.id) END)
        || CASE WHEN p_username IS NULL THEN '{}'::jsonb ELSE
           (SELECT jsonb_build_object(
                'your_opens_at', examd_ts(coalesce(o.opens_at, s.opens_at)),
                'your_closes_at', examd_ts(coalesce(o.closes_at, s.closes_at)),
                'your_state', CASE WHEN now() < coalesce(o.opens_at, s.opens_at) THEN 'upcoming'
                                   WHEN now() <= coalesce(o.closes_at, s.closes_at) THEN 'open' ELSE 'closed' END,
                'seconds_to_open', greatest(0, floor(extract(epoch FROM coalesce(o.opens_at, s.opens_at) - now())))::bigint,
                'extra_seconds', coalesce(o.extra_seconds, 0), 'extra_attempts', coalesce(o.extra_attempts, 0))
            FROM (SELECT 1) one LEFT JOIN exam_session_overrides o ON o.session_id = s.id AND o.username = p_username)
           END
    FROM exam_sessions s WHERE s.id = p_id
$$;

-- Sessions for a reader: an employee's own (invited; not those closed more than 30 days ago), a
-- trainer's own, every session for hr and admin; newest window first.
CREATE OR REPLACE FUNCTION examd_sessions_for(p_username text, p_role text, p_now jsonb) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('sessions', coalesce(jsonb_agg(
               examd_session_json(s.id, CASE WHEN p_role = 'employee' THEN p_username END, p_now)
               ORDER BY s.opens_at DESC, s.id DESC), '[]'))
    FROM exam_sessions s
    LEFT JOIN exam_session_overrides o ON o.session_id = s.id AND o.username = p_username
    WHERE CASE p_role
              WHEN 'employee' THEN examd_session_invited(s.id, p_username, p_now)
                                   AND coalesce(o.closes_at, s.closes_at) > now() - interval '30 days'
              WHEN 'trainer' THEN s.created_by = p_username
              ELSE true END
$$;

CREATE OR REPLACE FUNCTION examd_session_overrides_json(p_session bigint, p_username text) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'username', o.username, 'name', u.name, 'extra_seconds', o.extra_seconds,
               'extra_attempts', o.extra_attempts, 'opens_at', examd_ts(o.opens_at), 'closes_at', examd_ts(o.closes_at),
               'reason', o.reason, 'created_by', o.created_by, 'created_at', examd_ts(o.created_at))
               ORDER BY o.username), '[]')
    FROM exam_session_overrides o JOIN users u ON u.username = o.username
    WHERE o.session_id = p_session AND (p_username IS NULL OR o.username = p_username)
$$;

-- The live roster: every invitee × exam item, with the state of their latest attempt.
CREATE OR REPLACE FUNCTION examd_session_roster_rows(p_session bigint, p_now jsonb)
    RETURNS TABLE (username text, name text, department text, grade int, item text, level text, state text,
                   attempt_id bigint, attempts int, answered int, questions int, last_save timestamptz,
                   time_left bigint, standard_score numeric, band int, override text, window_closes timestamptz)
    LANGUAGE sql STABLE AS $$
    SELECT v.username, v.name, v.department, v.grade, i.item,
           coalesce(a.level, i.level, examd_now_level(p_now, v.username, i.item)),
           CASE WHEN a.id IS NULL THEN CASE WHEN now() > coalesce(o.closes_at, s.closes_at) THEN 'absent'
                                            ELSE 'not_started' END
                WHEN a.status = 'open' THEN 'in_progress'
                WHEN a.status = 'voided' THEN 'voided'
                ELSE 'submitted' END,
           a.id, (SELECT count(*)::int FROM attempts x WHERE x.session_id = s.id AND x.username = v.username
                    AND x.item = i.item),
           (SELECT count(*)::int FROM answers w WHERE w.attempt_id = a.id AND w.answer <> 'null'::jsonb),
           (SELECT count(*)::int FROM attempt_questions q WHERE q.attempt_id = a.id),
           (SELECT max(w.saved_at) FROM answers w WHERE w.attempt_id = a.id),
           CASE WHEN a.status = 'open' THEN greatest(0, floor(extract(epoch FROM a.deadline - now())))::bigint END,
           a.standard_score, a.band,
           CASE WHEN o.username IS NOT NULL THEN o.reason END, coalesce(o.closes_at, s.closes_at)
    FROM exam_sessions s
    CROSS JOIN examd_session_invitees(s.id, p_now) v
    JOIN exam_session_items i ON i.session_id = s.id
    LEFT JOIN exam_session_overrides o ON o.session_id = s.id AND o.username = v.username
    LEFT JOIN LATERAL (SELECT * FROM attempts x WHERE x.session_id = s.id AND x.username = v.username
                         AND x.item = i.item
                       ORDER BY (x.status = 'voided'), x.started_at DESC, x.id DESC LIMIT 1) a ON true
    WHERE s.id = p_session
    ORDER BY v.department, v.username, i.position
$$;

CREATE OR REPLACE FUNCTION examd_session_roster(p_session bigint, p_now jsonb) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'session', examd_session_json(p_session, NULL, p_now),
        'totals', jsonb_build_object(
            'invitees', (SELECT count(DISTINCT r.username) FROM examd_session_roster_rows(p_session, p_now) r),
            'not_started', count(*) FILTER (WHERE r.state = 'not_started'),
            'in_progress', count(*) FILTER (WHERE r.state = 'in_progress'),
            'submitted', count(*) FILTER (WHERE r.state = 'submitted'),
            'absent', count(*) FILTER (WHERE r.state = 'absent'),
            'voided', count(*) FILTER (WHERE r.state = 'voided')),
        'rows', coalesce(jsonb_agg(jsonb_build_object(
            'username', r.username, 'name', r.name, 'department', r.department, 'grade', r.grade, 'item', r.item,
            'level', r.level, 'state', r.state, 'attempt_id', r.attempt_id, 'attempts', r.attempts,
            'answered', r.answered, 'questions', r.questions, 'last_save', examd_ts(r.last_save),
            'time_left_seconds', r.time_left, 'standard_score', r.standard_score, 'band', r.band,
            'override', r.override, 'window_closes_at', examd_ts(r.window_closes))), '[]'))
    FROM examd_session_roster_rows(p_session, p_now) r
$$;

CREATE OR REPLACE FUNCTION examd_session_roster_csv(p_session bigint, p_now jsonb) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT E'\uFEFF' || 'username,name,department,grade,item,level,state,attempt_id,attempts,answered,questions,'
           || E'last_save,time_left_seconds,standard_score,band,override\r\n'
           || coalesce(string_agg(concat_ws(',', examd_csv_cell(r.username), examd_csv_cell(r.name),
                  examd_csv_cell(r.department), coalesce(r.grade::text, ''), r.item, coalesce(r.level, ''), r.state,
                  coalesce(r.attempt_id::text, ''), r.attempts::text, coalesce(r.answered::text, ''),
                  coalesce(r.questions::text, ''), coalesce(examd_ts(r.last_save), ''), coalesce(r.time_left::text, ''),
                  coalesce(r.standard_score::text, ''), coalesce(r.band::text, ''), examd_csv_cell(r.override)),
                  E'\r\n'), '') || CASE WHEN count(*) > 0 THEN E'\r\n' ELSE '' END
    FROM examd_session_roster_rows(p_session, p_now) r
$$;

-- Whether p_actor (role p_role) manages session p_session: its creator, hr, admin.
-- 'not_found', 'forbidden' or 'ok'.
CREATE OR REPLACE FUNCTION examd_session_access(p_session bigint, p_actor text, p_role text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN s.id IS NULL THEN 'not_found'
                WHEN p_role IN ('hr', 'admin') OR s.created_by = p_actor THEN 'ok'
                ELSE 'forbidden' END
    FROM (SELECT 1) one LEFT JOIN exam_sessions s ON s.id = p_session
$$;

CREATE OR REPLACE FUNCTION examd_session_create(p_body jsonb, p_actor text, p_address text, p_now jsonb,
                                     OUT status text, OUT message text, OUT body jsonb)
    LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_opens timestamptz := examd_try_ts(p_body->>'opens_at');
    v_closes timestamptz := examd_try_ts(p_body->>'closes_at');
    v_id bigint;
    v_bad text;
BEGIN
    IF v_opens IS NULL OR v_closes IS NULL THEN
        status := 'invalid_field';
        message := 'opens_at and closes_at must be RFC 3339 times';
        RETURN;
    END IF;
    IF v_closes <= v_opens THEN
        status := 'validation_failed';
        message := 'closes_at must be after opens_at';
        RETURN;
    END IF;
    IF v_closes <= now() THEN
        status := 'validation_failed';
        message := 'closes_at is in the past';
        RETURN;
    END IF;
    SELECT u INTO v_bad FROM jsonb_array_elements_text(coalesce(p_body #> '{cohort,usernames}', '[]')) u
    WHERE NOT EXISTS (SELECT 1 FROM users x WHERE x.username = u AND x.role = 'employee') LIMIT 1;
    IF v_bad IS NOT NULL THEN
        status := 'validation_failed';
        message := 'no employee is called ' || v_bad;
        RETURN;
    END IF;
    INSERT INTO exam_sessions (title, opens_at, closes_at, time_limit_seconds, attempts_allowed, results,
                               departments, grades, usernames, created_by)
    VALUES (p_body->>'title', v_opens, v_closes, (p_body->>'time_limit_seconds')::int,
            coalesce((p_body->>'attempts_allowed')::int, 1), coalesce(p_body->>'results', 'at_submit'),
            ARRAY(SELECT jsonb_array_elements_text(coalesce(p_body #> '{cohort,departments}', '[]'))),
            ARRAY(SELECT jsonb_array_elements_text(coalesce(p_body #> '{cohort,grades}', '[]'))::int),
            ARRAY(SELECT jsonb_array_elements_text(coalesce(p_body #> '{cohort,usernames}', '[]'))), p_actor)
    RETURNING id INTO v_id;
    INSERT INTO exam_session_items (session_id, position, item, level)
    SELECT v_id, o, e->>'item', e->>'level' FROM jsonb_array_elements(p_body->'items') WITH ORDINALITY AS t(e, o);
    INSERT INTO audit_log (actor, action, target, address, detail)
    VALUES (p_actor, 'session.create', 'session:' || v_id, p_address, p_body);
    status := 'ok';
    body := examd_session_json(v_id, NULL, p_now);
END $$;

CREATE OR REPLACE FUNCTION examd_session_override_put(p_session bigint, p_body jsonb, p_actor text, p_address text,
                                           p_now jsonb,
                                           OUT status text, OUT message text, OUT body jsonb)
    LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_user text := p_body->>'username';
    v_opens timestamptz := examd_try_ts(p_body->>'opens_at');
    v_closes timestamptz := examd_try_ts(p_body->>'closes_at');
BEGIN
    IF (p_body ? 'opens_at' AND p_body->'opens_at' <> 'null' AND v_opens IS NULL)
       OR (p_body ? 'closes_at' AND p_body->'closes_at' <> 'null' AND v_closes IS NULL) THEN
        status := 'invalid_field';
        message := 'opens_at and closes_at must be RFC 3339 times';
        RETURN;
    END IF;
    IF NOT examd_session_invited(p_session, v_user, p_now) THEN
        status := 'validation_failed';
        message := v_user || ' is not invited to this session';
        RETURN;
    END IF;
    IF v_opens IS NOT NULL AND v_closes IS NOT NULL AND v_closes <= v_opens THEN
        status := 'validation_failed';
        message := 'closes_at must be after opens_at';
        RETURN;
    END IF;
    INSERT INTO exam_session_overrides AS x (session_id, username, extra_seconds, extra_attempts, opens_at, closes_at,
                                             reason, created_by)
    VALUES (p_session, v_user, coalesce((p_body->>'extra_seconds')::int, 0),
            coalesce((p_body->>'extra_attempts')::int, 0), v_opens, v_closes, p_body->>'reason', p_actor)
    ON CONFLICT (session_id, username) DO UPDATE
        SET extra_seconds = EXCLUDED.extra_seconds, extra_attempts = EXCLUDED.extra_attempts,
            opens_at = EXCLUDED.opens_at, closes_at = EXCLUDED.closes_at, reason = EXCLUDED.reason,
            created_by = EXCLUDED.created_by, created_at = now();
    INSERT INTO audit_log (actor, action, target, address, detail)
    VALUES (p_actor, 'session.override', 'session:' || p_session, p_address, p_body);
    status := 'ok';
    body := examd_session_overrides_json(p_session, v_user)->0;
END $$;
