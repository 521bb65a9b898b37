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

-- The revocation counter (migration 0030; examd's reader is api/trust.c). Each transaction that can
-- end a session's right to save adds one to auth_epoch.n as it commits and sends the new value with
-- what changed on the channel examd_auth: "<n> s <token hash>" for a session, "<n> u <username>" for
-- a user, "<n> *" for anything (more than 16 changes in one transaction). Every change of a
-- transaction carries the same number. The triggers are deferred to the commit, so the row lock of
-- the counter is the last lock any transaction takes (no deadlock with the rows it changed), the
-- increments follow the commit order, and the increment becomes visible exactly when the change does.
CREATE OR REPLACE FUNCTION examd_auth_epoch_bump(p_what text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v text := current_setting('examd.auth_epoch', true);
    v_sent int := coalesce(nullif(current_setting('examd.auth_sent', true), '')::int, 0);
BEGIN
    IF coalesce(v, '') = '' THEN
        UPDATE auth_epoch SET n = n + 1 WHERE one RETURNING n::text INTO v;
        PERFORM set_config('examd.auth_epoch', v, true);
    END IF;
    IF v_sent < 16 THEN
        PERFORM pg_notify('examd_auth', v || ' ' || p_what);
    ELSIF v_sent = 16 THEN
        PERFORM pg_notify('examd_auth', v || ' *');
    END IF;
    PERFORM set_config('examd.auth_sent', (v_sent + 1)::text, true);
END $$;

CREATE OR REPLACE FUNCTION examd_auth_session_ended() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM examd_auth_epoch_bump('s ' || OLD.token_hash);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION examd_auth_user_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM examd_auth_epoch_bump('u ' || OLD.username);
    RETURN NULL;
END $$;

-- Constraint triggers have no OR REPLACE: each is made again whenever this file is applied.
DROP TRIGGER IF EXISTS sessions_auth_epoch_delete ON sessions;
CREATE CONSTRAINT TRIGGER sessions_auth_epoch_delete AFTER DELETE ON sessions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION examd_auth_session_ended();

-- A session whose expiry or last use moves earlier, or that changes hands, counts as ended. last_seen
-- only moves forward as the session is used (the WHEN is evaluated at the update, so a touch queues
-- nothing).
DROP TRIGGER IF EXISTS sessions_auth_epoch_update ON sessions;
CREATE CONSTRAINT TRIGGER sessions_auth_epoch_update AFTER UPDATE OF expires_at, last_seen, username, token_hash
    ON sessions DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (NEW.expires_at < OLD.expires_at OR NEW.last_seen < OLD.last_seen
          OR NEW.username IS DISTINCT FROM OLD.username OR NEW.token_hash IS DISTINCT FROM OLD.token_hash)
    EXECUTE FUNCTION examd_auth_session_ended();

DROP TRIGGER IF EXISTS users_auth_epoch_update ON users;
CREATE CONSTRAINT TRIGGER users_auth_epoch_update AFTER UPDATE OF active, role, username ON users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (NEW.active IS DISTINCT FROM OLD.active OR NEW.role IS DISTINCT FROM OLD.role
          OR NEW.username IS DISTINCT FROM OLD.username)
    EXECUTE FUNCTION examd_auth_user_changed();

DROP TRIGGER IF EXISTS users_auth_epoch_delete ON users;
CREATE CONSTRAINT TRIGGER users_auth_epoch_delete AFTER DELETE ON users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION examd_auth_user_changed();
