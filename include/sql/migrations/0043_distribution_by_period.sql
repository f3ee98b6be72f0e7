-- The fact table partitioned by month: a month's rows go into that month's own table and indexes (issue 14).
-- reads: core.distribution as it was; writes: core.distribution (now partitioned by periode, one partition per
-- month: core.distribution_YYYY_MM), core.ensure_distribution_partition(), the three views on the fact table
-- (core.distribution_current, core.distribution_lineage, core.publication_source, as migrations 0020 and 0004
-- defined them), the batch-reference triggers of migration 0040 and the autovacuum settings of 0039, per month.
-- A merge wrote its month's rows into the two key indexes of every month before it: at 1,000,000 rows into a
-- warehouse of twelve such months, 12.0 to 13.2 s for the insert against 4.8 to 5.1 s into an empty table with the
-- same three indexes (docs/decisions.md); the insert touched every leaf of two indexes of a gigabyte each, and
-- after a checkpoint logged each of them whole. Now it touches only its month's. The rules across months still
-- read every month (stage's lookups walk one index per month, merged in key order: 5.6 and 5.8 s against 5.3 and
-- 5.4 s for the same lookups on the one table).
-- A month's partition is made before its first merge by core.ensure_distribution_partition (merge/
-- ensure_partition.sql, its own short transaction): CREATE TABLE, then ATTACH PARTITION, which locks the parent
-- SHARE UPDATE EXCLUSIVE only (readers and other kab/kota's merges go on; CREATE TABLE ... PARTITION OF would lock
-- it ACCESS EXCLUSIVE). There is no default partition: a row of a month without its partition is refused, never
-- put aside.
-- Statement-level triggers stay on the parent, where every statement of the pipeline writes; a statement written
-- straight into a partition would bypass the batch-reference check, and none is.

ALTER TABLE core.distribution RENAME TO distribution_unpartitioned;
DROP VIEW core.publication_source;
DROP VIEW core.distribution_lineage;
DROP VIEW core.distribution_current;
DROP INDEX core.distribution_kk_programme_idx;
DROP INDEX core.distribution_nik_programme_idx;
DROP INDEX core.distribution_batch_idx;

CREATE TABLE core.distribution (
    LIKE core.distribution_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING COMMENTS
) PARTITION BY LIST (periode);
ALTER TABLE core.distribution
    ADD CONSTRAINT distribution_batch_id_fkey FOREIGN KEY (batch_id) REFERENCES core.load_batch (batch_id)
    NOT ENFORCED;
COMMENT ON TABLE core.distribution IS
    'Every accepted distribution row of every batch, one partition per month (core.distribution_YYYY_MM); only '
    'the current batch of a kab/kota-month counts (core.distribution_current).';

-- A month's partition, made once: the pipeline's merges call it before their transaction; two of them at once
-- (two kab/kota of a new month) go one after the other, and the second finds the partition made.
CREATE FUNCTION core.ensure_distribution_partition(p_periode text) RETURNS text
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

SELECT core.ensure_distribution_partition(periode)
FROM (SELECT DISTINCT periode FROM core.distribution_unpartitioned) AS p;
INSERT INTO core.distribution SELECT * FROM core.distribution_unpartitioned ORDER BY kk_hash, kode_program;
DROP TABLE core.distribution_unpartitioned;

-- the indexes of migrations 0039 and 0042, on every month's partition (and on each one attached later)
CREATE INDEX distribution_kk_programme_idx ON core.distribution (kk_hash, kode_program) INCLUDE (batch_id);
CREATE INDEX distribution_nik_programme_idx ON core.distribution (nik_hash, kode_program) INCLUDE (batch_id);
CREATE INDEX distribution_batch_idx ON core.distribution (batch_id);
ANALYZE core.distribution;

-- migration 0040's statement-level check of the batch references, on the parent
CREATE TRIGGER distribution_batch_insert AFTER INSERT ON core.distribution REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION core.check_batch_reference();
CREATE TRIGGER distribution_batch_update AFTER UPDATE ON core.distribution REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION core.check_batch_reference();

-- the views on the fact table, made again over the partitioned one (a view names the table it was made on)
CREATE VIEW core.distribution_current AS
SELECT d.*
FROM core.distribution AS d
JOIN core.kabkota_month AS km ON km.current_batch_id = d.batch_id;

CREATE VIEW core.distribution_lineage AS
SELECT d.batch_id, d.source_line, d.province, d.periode, d.kode_kabkota, d.kode_kecamatan, d.kode_desa,
       d.kode_program, d.nominal, d.tanggal_salur, d.saluran,
       l.is_current, l.loaded_at, l.superseded_at, l.submission_id, l.source_uri, l.source_bucket, l.source_key,
       l.source_version, l.landed_at, l.sha256, l.archive_key
FROM core.distribution AS d
JOIN core.batch_lineage AS l ON l.batch_id = d.batch_id;
COMMENT ON VIEW core.distribution_lineage IS
    'Each distribution row (without pseudonyms) with its source line, load batch and source object.';

CREATE VIEW core.publication_source AS
SELECT p.publication_id, p.province, p.tahun, p.published_at,
       substr(l.periode, 6, 2)::integer AS bulan,
       l.periode, l.kode_kabkota, c.kode_program, c.source_rows, c.source_rupiah, l.batch_id,
       l.row_count AS batch_rows,
       l.loaded_at, l.superseded_at, l.submission_id, l.source_uri, l.source_bucket, l.source_key,
       l.source_version, l.landed_at, l.sha256, l.archive_key
FROM mart.publication AS p
JOIN mart.publication_batch AS pb ON pb.publication_id = p.publication_id
JOIN core.batch_lineage AS l ON l.batch_id = pb.batch_id
CROSS JOIN LATERAL (
    SELECT d.kode_program, count(*) AS source_rows, sum(d.nominal) AS source_rupiah
    FROM core.distribution AS d
    WHERE d.batch_id = pb.batch_id
      AND d.periode = l.periode  -- a batch's rows are its month's (periode_matches_folder): one partition read
    GROUP BY d.kode_program
) AS c;
COMMENT ON VIEW core.publication_source IS
    'The source files behind each publication: batch, object (bucket/key/version/sha256), rows per programme.';
