-- The rules across months read only the months and programmes a rule needs (issue 14). reads: core.distribution;
-- writes: its two key indexes (led by the programme now, the month beside the batch), statistics on each month's
-- partition, core.ensure_distribution_partition() (the same, plus those statistics for each new month).
-- Stage's lookups (stage/build_checked.sql) walked the key indexes of every month ever loaded, though only the
-- programmes limited over a lifetime look beyond the file's calendar year: against three years of history a
-- 500,000-row file's stage took twice as long as against one (docs/decisions.md, "Stage over years of history").
-- Now they name the months they read (the file's year for every programme, the other years for the lifetime
-- programmes only), so the planner reads only those months' partitions, and the programme leads the indexes, so
-- the other years are read for those programmes' entries only. The month is in the entries (INCLUDE), so the
-- lookups' condition on it is checked in the index alone.
-- The statistics: the lookups compare the batch as `batch_id + 0` (no index answers it, so none is chosen for it);
-- with no statistics on that expression the planner took it for 5.5 per cent of a partition's rows when it is all of
-- them, expected a few thousand matches instead of millions, and chose per-partition sorts on disk over the
-- indexes' ordered walks (28.6 s against 7.5 s for the lookups at 1,000,000 rows). One statistics object per
-- month's partition (the planner reads a partition's own, not the parent's), filled by the partition's ANALYZE
-- (autovacuum's, or the one below).

DROP INDEX core.distribution_kk_programme_idx;
DROP INDEX core.distribution_nik_programme_idx;
CREATE INDEX distribution_programme_kk_idx ON core.distribution (kode_program, kk_hash) INCLUDE (batch_id, periode);
CREATE INDEX distribution_programme_nik_idx ON core.distribution (kode_program, nik_hash) INCLUDE (batch_id, periode);

-- The statistics on the lookups' batch filter for one month's partition, once.
CREATE FUNCTION core.ensure_batch_statistics(p_partition text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF to_regclass(format('core.%I', p_partition || '_batch')) IS NULL THEN
        EXECUTE format('CREATE STATISTICS core.%I ON (batch_id + 0) FROM core.%I', p_partition || '_batch',
                       p_partition);
    END IF;
END;
$$;

SELECT core.ensure_batch_statistics(c.relname)
FROM pg_inherits AS i JOIN pg_class AS c ON c.oid = i.inhrelid
WHERE i.inhparent = 'core.distribution'::regclass;

-- migration 0043's, and the statistics of each new month's partition (made by the one who makes the table, its
-- owner then, before it is handed to the parent's owner)
CREATE OR REPLACE FUNCTION core.ensure_distribution_partition(p_periode text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    part text;
BEGIN
    IF p_periode IS NULL OR p_periode !~ '^[0-9]{4}-(0[1-9]|1[0-2])$' THEN
        RAISE EXCEPTION 'periode % is not YYYY-MM', coalesce(quote_literal(p_periode), 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    part := 'distribution_' || replace(p_periode, '-', '_');
    IF to_regclass(format('core.%I', part)) IS NOT NULL THEN
        RETURN 'core.' || part;  -- every merge but a month's first: no lock
    END IF;
    -- the lock ATTACH takes anyway, taken first: two sessions making a new month's partition go one after the
    -- other, and taking it reads the catalogue's changes, so the second sees the first's partition
    LOCK TABLE core.distribution IN SHARE UPDATE EXCLUSIVE MODE;
    IF to_regclass(format('core.%I', part)) IS NULL THEN
        EXECUTE format('CREATE TABLE core.%I (LIKE core.distribution INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
                       part);
        PERFORM core.ensure_batch_statistics(part);
        -- the parent's owner's, whoever made it (a superuser running the pipeline once): the pipeline role's
        -- grants (warehouse/roles/grants.sql) then reach every month's table
        EXECUTE format('ALTER TABLE core.%I OWNER TO %s', part,
                       (SELECT relowner::regrole::text FROM pg_class WHERE oid = 'core.distribution'::regclass));
        -- as migration 0039 set it for the one table: a vacuum every 100,000 inserted rows keeps the key
        -- indexes' pages all-visible, so the rules' lookups read the index alone
        EXECUTE format('ALTER TABLE core.%I SET (autovacuum_vacuum_insert_threshold = 100000, '
                       'autovacuum_vacuum_insert_scale_factor = 0)', part);
        EXECUTE format('ALTER TABLE core.distribution ATTACH PARTITION core.%I FOR VALUES IN (%L)', part,
                       p_periode);
    END IF;
    RETURN 'core.' || part;
END;
$$;

ANALYZE core.distribution;
