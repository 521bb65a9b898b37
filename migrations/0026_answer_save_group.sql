-- Autosave closer to the database's limit (issue #20): examd checks each save's answer against the
-- attempt's question snapshot in memory and sends a group of saves as arrays to
-- examd_answer_save_group (migrations/functions/attempts.sql), whose checked saves are one set-wise
-- upsert guarded by session, owner and "attempt still open". It replaces the per-save loop of
-- examd_answer_save_batch (0014, jsonb parameter), which no file defines any more.
DROP FUNCTION IF EXISTS examd_answer_save_batch(jsonb, int, int);
