-- examd_answer_save_group gains p_locks (the attempts to lock, sorted by examd) and p_touch (which
-- saves refresh their session's last_seen), migrations/functions/attempts.sql: the old signature
-- goes and the function file creates the new one.
DROP FUNCTION IF EXISTS examd_answer_save_group(text[], bigint[], bigint[], text[], bigint[], boolean[], int, int);
