-- A login of the pipeline works as the pipeline role from its first statement (objects it creates are the role's).
-- reads: nothing; writes: pg_db_role_setting.
ALTER ROLE {login} SET role = {pipeline_role}
