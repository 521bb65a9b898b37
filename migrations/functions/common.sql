-- Small helpers shared by every area: timestamps as text, CSV cells, refusing changes to immutable rows.
--
-- Repeatable: examd migrate re-applies this file (CREATE OR REPLACE) whenever its checksum
-- changes, after the numbered migrations; see migrations/README.md.

CREATE OR REPLACE FUNCTION examd_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is immutable: model versions are never edited', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END $$;

CREATE OR REPLACE TRIGGER model_versions_immutable BEFORE UPDATE OR DELETE ON model_versions
    FOR EACH ROW EXECUTE FUNCTION examd_refuse_change();

CREATE OR REPLACE TRIGGER model_required_levels_immutable BEFORE UPDATE OR DELETE ON model_required_levels
    FOR EACH ROW EXECUTE FUNCTION examd_refuse_change();

CREATE OR REPLACE TRIGGER model_subtopic_weights_immutable BEFORE UPDATE OR DELETE ON model_subtopic_weights
    FOR EACH ROW EXECUTE FUNCTION examd_refuse_change();

CREATE OR REPLACE TRIGGER model_exam_bands_immutable BEFORE UPDATE OR DELETE ON model_exam_bands
    FOR EACH ROW EXECUTE FUNCTION examd_refuse_change();

CREATE OR REPLACE TRIGGER model_rater_weights_immutable BEFORE UPDATE OR DELETE ON model_rater_weights
    FOR EACH ROW EXECUTE FUNCTION examd_refuse_change();

-- examd_ts formats every timestamp of the API. Declared IMMUTABLE around the STABLE to_char, it
-- could not be inlined: PostgreSQL ran it as a separate SQL function, parsing and planning its
-- body again in every statement that called it (the autosave's reply, every attempt document,
-- every listing). Declared STABLE, which is what it is, it is inlined into the caller's plan.
CREATE OR REPLACE FUNCTION examd_ts(t timestamptz) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

-- An RFC 3339 text as a time, NULL when it is not one.
CREATE OR REPLACE FUNCTION examd_try_ts(p text) RETURNS timestamptz LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF p IS NULL OR p !~ '^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|z|[+-]\d\d(:?\d\d)?)$' THEN
        RETURN NULL;
    END IF;
    RETURN p::timestamptz;
EXCEPTION WHEN others THEN
    RETURN NULL;
END $$;

-- One CSV cell (RFC 4180), text that a spreadsheet would take for a formula neutralised with '.
CREATE OR REPLACE FUNCTION examd_csv_cell(p text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p IS NULL THEN ''
                ELSE '"' || replace(CASE WHEN p ~ '^[=+\-@\t\r]' THEN '''' || p ELSE p END, '"', '""') || '"' END
$$;
