-- Users and sign-in: the login throttle.
--
-- Repeatable: examd migrate re-applies this file (CREATE OR REPLACE) whenever its checksum
-- changes, after the numbered migrations; see migrations/README.md.

-- The public form of a user (SPEC §4.1); p_grade is the grade held now, which examd computes (domain/rules.c).
CREATE OR REPLACE FUNCTION examd_user_json(who text, p_grade int) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('username', u.username, 'name', u.name, 'role', u.role,
                             'grade', p_grade, 'department', u.department,
                             'active', u.active, 'created_at', examd_ts(u.created_at))
    FROM users u WHERE u.username = who
$$;

-- A grade change is decided in examd (api/users.c) on the grade history it read; this locks the user
-- row (concurrent changes of one user wait for each other) and then, in a statement of its own and so
-- with a snapshot that sees what the one before committed, tells whether the history is still that one.
CREATE OR REPLACE FUNCTION examd_user_history_unchanged(p_username text, p_history text) RETURNS boolean
    LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM 1 FROM users WHERE username = p_username FOR UPDATE;
    RETURN examd_grades_packed(p_username) IS NOT DISTINCT FROM p_history;
END $$;

CREATE OR REPLACE FUNCTION examd_login_begin(p_username text, p_address text, p_window int,
                                             p_user_max int, p_addr_max int)
RETURNS TABLE (failure_id bigint, retry_after int, password_hash text)
LANGUAGE plpgsql AS $$
DECLARE
    since timestamptz := clock_timestamp() - make_interval(secs => p_window);
    n_user int;
    n_addr int;
    wait_user int := 0;
    wait_addr int := 0;
    fid bigint;
BEGIN
    -- Always the username's lock first, then the address's: no two logins wait on each other in a cycle.
    PERFORM pg_advisory_xact_lock(hashtextextended('examd.login.user:' || p_username, 0));
    PERFORM pg_advisory_xact_lock(hashtextextended('examd.login.addr:' || p_address, 0));
    -- Each statement of this (volatile) function sees what concurrent logins committed before it.
    SELECT count(*) INTO n_user FROM login_failures f
     WHERE f.username = p_username AND f.counted AND f.at > since;
    SELECT count(*) INTO n_addr FROM login_failures f
     WHERE f.address = p_address AND f.counted AND f.at > since;
    IF n_user >= p_user_max THEN
        SELECT ceil(extract(epoch FROM min(x.at) + make_interval(secs => p_window) - clock_timestamp()))::int
          INTO wait_user
          FROM (SELECT f.at FROM login_failures f
                 WHERE f.username = p_username AND f.counted AND f.at > since
                 ORDER BY f.at DESC LIMIT p_user_max) x;
    END IF;
    IF n_addr >= p_addr_max THEN
        SELECT ceil(extract(epoch FROM min(x.at) + make_interval(secs => p_window) - clock_timestamp()))::int
          INTO wait_addr
          FROM (SELECT f.at FROM login_failures f
                 WHERE f.address = p_address AND f.counted AND f.at > since
                 ORDER BY f.at DESC LIMIT p_addr_max) x;
    END IF;
    IF n_user >= p_user_max OR n_addr >= p_addr_max THEN
        INSERT INTO login_failures (username, address, counted) VALUES (p_username, p_address, false);
        INSERT INTO audit_log (actor, action, target, address, detail)
        VALUES (p_username, 'login.throttled', 'user:' || p_username, p_address,
                jsonb_build_object('user_failures', n_user, 'address_failures', n_addr));
        failure_id := NULL;
        retry_after := greatest(coalesce(wait_user, 0), coalesce(wait_addr, 0), 1);
        password_hash := NULL;
        RETURN NEXT;
        RETURN;
    END IF;
    INSERT INTO login_failures (username, address) VALUES (p_username, p_address) RETURNING id INTO fid;
    failure_id := fid;
    retry_after := 0;
    SELECT u.password_hash INTO password_hash FROM users u WHERE u.username = p_username AND u.active;
    RETURN NEXT;
END
$$;
