-- Sets a login's password; the password (or its SCRAM verifier) is a bind parameter.
-- reads: nothing; writes: pg_authid.
ALTER ROLE {login} PASSWORD %s
