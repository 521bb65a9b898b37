-- "Grade held now", "level required now" and "version in force at T" move to domain/rules.c: the
-- statements that act now receive examd's answer as a jsonb parameter (p_now,
-- migrations/functions/model.sql) or a version number, and the SQL copies of the three rules go. The functions whose parameter lists change are dropped here and
-- created again by the function files.
DROP FUNCTION IF EXISTS examd_exams_for(text);
DROP FUNCTION IF EXISTS examd_attempt_start(text, text, int);
DROP FUNCTION IF EXISTS examd_attempt_begin(text, text, int, text, bigint);
DROP FUNCTION IF EXISTS examd_user_json(text);
DROP FUNCTION IF EXISTS examd_session_roster_csv(bigint);
DROP FUNCTION IF EXISTS examd_session_roster(bigint);
DROP FUNCTION IF EXISTS examd_session_roster_rows(bigint);
DROP FUNCTION IF EXISTS examd_sessions_for(text, text);
DROP FUNCTION IF EXISTS examd_session_json(bigint, text);
DROP FUNCTION IF EXISTS examd_session_invited(bigint, text);
DROP FUNCTION IF EXISTS examd_session_invitees(bigint);
DROP FUNCTION IF EXISTS examd_session_create(jsonb, text, text);
DROP FUNCTION IF EXISTS examd_session_override_put(bigint, jsonb, text, text);
DROP FUNCTION IF EXISTS examd_required_level(text, text, timestamptz);
DROP FUNCTION IF EXISTS examd_grade_at(text, timestamptz);
DROP FUNCTION IF EXISTS examd_model_version_at(timestamptz);
DROP FUNCTION IF EXISTS examd_demo_simulate(int, bigint, text);
