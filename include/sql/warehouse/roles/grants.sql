-- Gives this database's warehouse to bansos_pipeline (owner) and the marts, read-only, to bansos_mart_reader.
-- reads: pg_roles, pg_namespace, pg_class, pg_proc; writes: owners and privileges of the warehouse schemas and objects.
DO $$
DECLARE
    warehouse  text[] := ARRAY['ref', 'raw', 'staging', 'core', 'dq', 'mart'];
    private    text[] := ARRAY['ref', 'raw', 'staging', 'core', 'dq'];
    pipeline   boolean := EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bansos_pipeline');
    reader     boolean := EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bansos_mart_reader');
    nsp        text;
    obj        record;
BEGIN
    -- concurrent GRANTs on one object fail with "tuple concurrently updated": one run at a time
    PERFORM pg_advisory_xact_lock(hashtext('bansos:roles'));

    -- Nobody but the owner reaches identifiers, submissions or validation details, whatever the server's defaults.
    FOREACH nsp IN ARRAY private LOOP
        EXECUTE format('REVOKE ALL ON SCHEMA %I FROM PUBLIC', nsp);
    END LOOP;
    REVOKE CREATE ON SCHEMA public FROM PUBLIC;
    REVOKE ALL ON SCHEMA mart FROM PUBLIC;

    IF pipeline THEN
      BEGIN
        -- The pipeline owns the warehouse: it migrates, stages, merges and publishes. Staging tables are left
        -- alone (a run may be using one right now; they belong to whoever created them and live minutes).
        FOR obj IN
            SELECT n.nspname FROM pg_namespace AS n
            WHERE n.nspname = ANY (warehouse) AND n.nspowner <> 'bansos_pipeline'::regrole
        LOOP
            EXECUTE format('ALTER SCHEMA %I OWNER TO bansos_pipeline', obj.nspname);
        END LOOP;
        FOR obj IN
            SELECT n.nspname, c.relname, c.relkind FROM pg_class AS c
            JOIN pg_namespace AS n ON n.oid = c.relnamespace
            WHERE (n.nspname = ANY (warehouse) AND n.nspname <> 'staging'
                   OR (n.nspname = 'public' AND c.relname = 'schema_migration'))
              AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
              AND c.relowner <> 'bansos_pipeline'::regrole
        LOOP
            EXECUTE format('ALTER %s %I.%I OWNER TO bansos_pipeline',
                           CASE obj.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                            WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
                           obj.nspname, obj.relname);
        END LOOP;
        FOR obj IN
            SELECT p.oid::regprocedure AS fn FROM pg_proc AS p
            JOIN pg_namespace AS n ON n.oid = p.pronamespace
            WHERE n.nspname = ANY (warehouse) AND p.proowner <> 'bansos_pipeline'::regrole
        LOOP
            EXECUTE format('ALTER ROUTINE %s OWNER TO bansos_pipeline', obj.fn);
        END LOOP;
        -- future migrations may add schemas; the migration ledger lives in public
        EXECUTE format('GRANT CONNECT, CREATE, TEMPORARY ON DATABASE %I TO bansos_pipeline', current_database());
        GRANT USAGE, CREATE ON SCHEMA public TO bansos_pipeline;
      EXCEPTION WHEN insufficient_privilege THEN
        -- only a superuser, or an owner who may SET ROLE bansos_pipeline, can hand objects over
        RAISE WARNING 'warehouse not handed to bansos_pipeline: %', SQLERRM;
      END;
    END IF;

    IF reader THEN
        -- The office reads the marts: aggregates only, no hash, no submission, no file, no validation example.
        EXECUTE format('GRANT CONNECT ON DATABASE %I TO bansos_mart_reader', current_database());
        GRANT USAGE ON SCHEMA mart TO bansos_mart_reader;
        GRANT SELECT ON ALL TABLES IN SCHEMA mart TO bansos_mart_reader;
        FOREACH nsp IN ARRAY private LOOP
            EXECUTE format('REVOKE ALL ON SCHEMA %I FROM bansos_mart_reader', nsp);
            -- staging tables come and go while runs are active: the schema revoke above already shuts them
            CONTINUE WHEN nsp = 'staging';
            EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM bansos_mart_reader', nsp);
        END LOOP;
        IF pipeline THEN
            BEGIN
                -- marts the pipeline adds later are readable at once
                ALTER DEFAULT PRIVILEGES FOR ROLE bansos_pipeline IN SCHEMA mart
                    GRANT SELECT ON TABLES TO bansos_mart_reader;
            EXCEPTION WHEN insufficient_privilege THEN
                RAISE WARNING 'default privileges of bansos_pipeline not set: %', SQLERRM;
            END;
        END IF;
    END IF;
END
$$;
