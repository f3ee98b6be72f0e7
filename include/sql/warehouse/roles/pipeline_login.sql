-- Lets the group role bansos_pipeline log in itself and own this database (docker-compose.yaml's warehouse-init).
-- reads: current_database(); writes: role bansos_pipeline (LOGIN, password), the owner of this database.
-- Run as a superuser after create_roles.sql. %(password)s is bound by the caller, best as a SCRAM verifier
-- (psycopg2.extensions.encrypt_password) so no clear password is in the statement text; hence %% below.
ALTER ROLE bansos_pipeline WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %(password)s;
DO $$
BEGIN
    -- the owner of the warehouse may grant CONNECT and CREATE on it and revoke CREATE on schema public
    EXECUTE format('ALTER DATABASE %%I OWNER TO bansos_pipeline', current_database());
END
$$;
