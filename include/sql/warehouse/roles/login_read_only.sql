-- A reader's login opens read-only transactions by default.
-- reads: nothing; writes: pg_db_role_setting.
ALTER ROLE {login} SET default_transaction_read_only = on
