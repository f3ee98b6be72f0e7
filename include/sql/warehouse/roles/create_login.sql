-- Creates a login (no password yet, no role yet).
-- reads: nothing; writes: pg_roles.
CREATE ROLE {login} LOGIN
