-- Seconds to a time a century ahead (a window typed 2126 for 2026) do not fit an int: the views
-- count them as bigint (migrations/functions/attempts.sql, sessions.sql). The roster's row function
-- changes its time_left column to bigint, so it is dropped here and created again by the function file.
DROP FUNCTION IF EXISTS examd_session_roster_rows(bigint, jsonb);
