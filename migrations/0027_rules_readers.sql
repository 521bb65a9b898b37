-- The last readers of the scoring rules move to domain/rules.c: the exams list's counted_result and
-- an attempt's "counted" (examd_exam_evidence, migrations/functions/profiles.sql) and trends
-- (examd_evidence_one / examd_evidence_packed). The SQL copies of the rules they used go.
DROP FUNCTION IF EXISTS examd_counted_exam(text, text, timestamptz);
DROP FUNCTION IF EXISTS examd_profile_data(text[], timestamptz, text, boolean);
