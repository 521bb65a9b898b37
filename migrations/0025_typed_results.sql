-- Typed results (issue #15): every function that can refuse returns a status (a short text code:
-- 'ok', 'created', 'not_found', 'attempt_closed', 'pool_too_small', ...) and payload columns, never
-- an error inside a JSON document. examd maps each status to the HTTP status and the SPEC error code
-- in one table (service/api/reply.c). The bodies are those of the migrations named at each function;
-- only how they answer changed. OUT parameters make each a one-row function:
-- SELECT status, message, body FROM examd_session_create(...).
--
-- #variable_conflict use_column: the OUT names (status, message, body, version, ...) are also
-- column names that the bodies use unqualified (attempts.status, model_versions.version).
--
-- The functions themselves live in migrations/functions/ (attempts, sessions, banks, model,
-- ratings). This migration drops the old signatures, whose return types changed, so that the
-- function files can create the typed ones; and the JSON-answering save of 0016, which examd no
-- longer calls (examd_answer_save_typed replaced it).
DROP FUNCTION IF EXISTS examd_answer_save_session(text, int, bigint, bigint, jsonb, bigint, int);

-- Saves in groups (0014), each save's typed outcome in its own row (i: its place in p_batch).
DROP FUNCTION IF EXISTS examd_answer_save_batch(jsonb, int, int);
-- Starting or resuming an attempt (0021): status 'created' or 'resumed' (attempt_id), 'expired'
-- (attempt_id: an open attempt past its time that examd closes first), or a refusal (message):
-- not_found, not_open, closed, invalid_field, conflict (attempt_id: the open one), exam_unavailable,
-- attempts_exhausted.
DROP FUNCTION IF EXISTS examd_attempt_start(text, text, int);
DROP FUNCTION IF EXISTS examd_attempt_begin(text, text, int, text, bigint);
-- Sessions (0021): status 'ok' with the session (body), or invalid_field / validation_failed (message).
DROP FUNCTION IF EXISTS examd_session_create(jsonb, text, text);
-- Overrides (0021): status 'ok' with the override (body), or invalid_field / validation_failed.
DROP FUNCTION IF EXISTS examd_session_override_put(bigint, jsonb, text, text);
-- Voiding an attempt (0021): status 'ok', or not_found, forbidden, conflict, validation_failed (message).
DROP FUNCTION IF EXISTS examd_attempt_void(bigint, text, text, text, text);
-- Blueprints (0002, 0021): status 'ok' with the blueprint (body), or 'pool_too_small' with the draw
-- rows the active pool cannot fill (body), nothing written.
DROP FUNCTION IF EXISTS examd_blueprint_put(text, text, int, int, text, jsonb, text, text, boolean);
DROP FUNCTION IF EXISTS examd_blueprint_put(text, text, int, int, text, jsonb, text, text);
-- Retiring a question (0002): status 'ok' with {"question", "blueprint_warnings"} (body), or not_found.
DROP FUNCTION IF EXISTS examd_question_retire(bigint, text, text);
-- A new model version (0004): status 'ok' with its number (version), or validation_failed (message).
DROP FUNCTION IF EXISTS examd_model_version_create(jsonb, text, text);
-- Importing ratings (0023): status 'ok' (created), or 'rows_rejected' with the row errors (errors),
-- nothing written.
DROP FUNCTION IF EXISTS examd_ratings_import(jsonb, text, text);
