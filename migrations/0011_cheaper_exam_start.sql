-- A cheaper exam start (issue #8, the 20,000-start storm). First, no PL/pgSQL call per drawn question: the
-- options are shuffled and relabelled inside the draw's INSERT. The rules are those of 0003:
-- questions drawn at random per blueprint line, shown in a random order, options of single and
-- multiple choice questions in a random order labelled A.., the key relabelled to match.
-- examd_shuffle_options is no longer used.

-- Foreign keys to hot, immutable reference rows. Every start inserted 40 attempt_questions rows
-- whose question_id foreign key share-locked the drawn question's row, and an attempts row whose
-- item, level and model_version keys share-locked the same few model rows: during a start storm
-- thousands of concurrent transactions lock the same rows, and PostgreSQL builds a new MultiXact
-- (a copy of every current locker) for each of them. The snapshot in attempt_questions does not
-- need its source question to exist (questions are retired, never deleted, and the snapshot keeps
-- stem, options and key), and item, level and model version come from the model tables inside
-- examd_attempt_start. Item and level keep a CHECK; the version is checked against the model at start.
-- The snapshot's own key to its attempt is dropped too (40 checks per start): both rows are written
-- by examd_attempt_start in one transaction, and attempts are never deleted. answers keeps its key to
-- attempt_questions (one check per save, on a row no other attempt touches).
ALTER TABLE attempt_questions DROP CONSTRAINT attempt_questions_question_id_fkey,
                              DROP CONSTRAINT attempt_questions_attempt_id_fkey;
ALTER TABLE attempts DROP CONSTRAINT attempts_item_fkey,
                     DROP CONSTRAINT attempts_level_fkey,
                     DROP CONSTRAINT attempts_model_version_fkey;
ALTER TABLE attempts ADD CONSTRAINT attempts_item_exam_check
    CHECK (item IN ('general_knowledge', 'professional_knowledge', 'job_knowledge', 'job_skills'));
ALTER TABLE attempts ADD CONSTRAINT attempts_level_check CHECK (level IN ('junior', 'intermediate', 'senior', 'expert'));

-- The functions and triggers this migration created or replaced now live in
-- migrations/functions/ (moved 2026-12-02, after efaa608).
