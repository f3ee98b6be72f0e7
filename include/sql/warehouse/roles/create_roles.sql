-- Creates the two group roles (cluster-wide, NOLOGIN) when they are missing and this login may create roles.
-- reads: pg_roles; writes: roles bansos_pipeline and bansos_mart_reader. Logins are made members of them.
DO $$
DECLARE
    wanted     text;
    can_create boolean;
BEGIN
    SELECT rolsuper OR rolcreaterole INTO can_create FROM pg_roles WHERE rolname = current_user;
    FOREACH wanted IN ARRAY ARRAY['bansos_pipeline', 'bansos_mart_reader'] LOOP
        CONTINUE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = wanted);
        IF NOT can_create THEN
            RAISE WARNING 'role % is missing and % may not create roles; ask the DBA for: CREATE ROLE % NOLOGIN',
                wanted, current_user, wanted;
            CONTINUE;
        END IF;
        BEGIN
            EXECUTE format('CREATE ROLE %I NOLOGIN', wanted);
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;  -- created meanwhile by a run in another database of the same server
        END;
    END LOOP;
END
$$;
