-- The revocation counter of saves checked from memory (issue #20, api/trust.c): every change that
-- can end a session's right to save (a session deleted or shortened, a user deactivated or given
-- another role) adds one to n in its own transaction and announces the new value on the channel
-- examd_auth (triggers in functions/users.sql). A save that examd trusts from memory carries the
-- value its process had applied; the group statement takes the shortcut only while n still equals it.
CREATE TABLE auth_epoch (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    n   bigint  NOT NULL
);
INSERT INTO auth_epoch (one, n) VALUES (true, 0);
