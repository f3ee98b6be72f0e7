-- Makes a login a member of one of the pipeline's roles.
-- reads: nothing; writes: pg_auth_members.
GRANT {role} TO {login}
