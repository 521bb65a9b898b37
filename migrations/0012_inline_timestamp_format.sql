-- examd_ts formats every timestamp of the API. Declared IMMUTABLE around the STABLE to_char, it
-- could not be inlined: PostgreSQL ran it as a separate SQL function, parsing and planning its
-- body again in every statement that called it (the autosave's reply, every attempt document,
-- every listing). Declared STABLE, which is what it is, it is inlined into the caller's plan.
CREATE OR REPLACE FUNCTION examd_ts(t timestamptz) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;
