-- Lineage: every core row leads to its load batch and source object; every publication records its batches
-- and figures. reads: nothing; writes: views core.*_lineage, core.publication_source; tables mart.publication*.

-- One row per load batch: the object it came from (bucket, key, version, landing time, checksum), where its
-- byte-for-byte copy is archived, when it was loaded and whether it is still the kab/kota-month's current one.
CREATE VIEW core.batch_lineage AS
SELECT b.batch_id,
       b.province,
       b.periode,
       b.kode_kabkota,
       b.row_count,
       b.loaded_at,
       b.superseded_at,
       b.superseded_by,
       (km.current_batch_id IS NOT NULL)                                       AS is_current,
       s.submission_id,
       s.source_uri,
       substring(s.source_uri FROM '^s3://([^/]+)/')                           AS source_bucket,
       CASE WHEN s.source_uri LIKE 's3://%' THEN substring(s.source_uri FROM '^s3://[^/]+/(.*)$')
            ELSE regexp_replace(s.source_uri, '^file://', '') END              AS source_key,
       s.source_version,
       s.landed_at,
       s.size_bytes,
       s.sha256,
       s.archive_key,
       regexp_replace(s.source_uri, '/landing/.*$', '') || '/' || s.archive_key AS archive_uri,
       s.received_at,
       s.status                                                                AS submission_status
FROM core.load_batch AS b
JOIN raw.submission AS s ON s.submission_id = b.submission_id
LEFT JOIN core.kabkota_month AS km ON km.current_batch_id = b.batch_id;

COMMENT ON VIEW core.batch_lineage IS
    'One row per load batch with its source object (bucket/key/version, landing time, sha256), archive copy, '
    'load time and whether it is current; superseded batches stay as history.';

-- Every distribution row with the file line it came from and the object behind it. No pseudonyms here:
-- lineage is for tracing figures to files, not households.
CREATE VIEW core.distribution_lineage AS
SELECT d.batch_id,
       d.source_line,
       d.province,
       d.periode,
       d.kode_kabkota,
       d.kode_kecamatan,
       d.kode_desa,
       d.kode_program,
       d.nominal,
       d.tanggal_salur,
       d.saluran,
       l.is_current,
       l.loaded_at,
       l.superseded_at,
       l.submission_id,
       l.source_uri,
       l.source_bucket,
       l.source_key,
       l.source_version,
       l.landed_at,
       l.sha256,
       l.archive_key
FROM core.distribution AS d
JOIN core.batch_lineage AS l ON l.batch_id = d.batch_id;

COMMENT ON VIEW core.distribution_lineage IS
    'Each distribution row (without pseudonyms) with its source line, load batch and source object.';

-- What was published, when: one row each time a province-year's summary changed, the batches it was computed
-- from and a copy of its figures. Re-publishing the same batches records nothing new.
CREATE TABLE mart.publication (
    publication_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    province        text NOT NULL,
    tahun           integer NOT NULL,
    published_at    timestamptz NOT NULL DEFAULT now(),
    batch_count     integer NOT NULL,
    row_count       bigint NOT NULL
);
CREATE INDEX publication_province_tahun_idx ON mart.publication (province, tahun, publication_id);

CREATE TABLE mart.publication_batch (
    publication_id  bigint NOT NULL REFERENCES mart.publication (publication_id),
    batch_id        bigint NOT NULL REFERENCES core.load_batch (batch_id),
    PRIMARY KEY (publication_id, batch_id)
);

CREATE TABLE mart.publication_figure (
    publication_id     bigint NOT NULL REFERENCES mart.publication (publication_id),
    bulan              integer,
    kode_kabkota       text,
    kode_program       text,
    kk_assisted        bigint NOT NULL,
    kk_sum_programmes  bigint NOT NULL,
    persons            bigint NOT NULL,
    distributions      bigint NOT NULL,
    total_rupiah       bigint NOT NULL
);
CREATE UNIQUE INDEX publication_figure_grain_idx ON mart.publication_figure
    (publication_id, coalesce(bulan, 0), coalesce(kode_kabkota, ''), coalesce(kode_program, ''));

COMMENT ON TABLE mart.publication IS
    'Each publication of a province-year summary whose set of load batches differed from the one before.';
COMMENT ON TABLE mart.publication_figure IS
    'The mart.distribution_summary rows as they were at that publication (same columns and NULL meanings).';

-- For every publication, the files behind it: one row per batch and programme with the rows and Rupiah the
-- file contributed. In core, not mart: mart readers see aggregates only, never object names or checksums. The per-batch counts are computed through the batch's primary key (LATERAL), so asking
-- about one publication reads only its batches.
CREATE VIEW core.publication_source AS
SELECT p.publication_id,
       p.province,
       p.tahun,
       p.published_at,
       substr(l.periode, 6, 2)::integer AS bulan,
       l.periode,
       l.kode_kabkota,
       c.kode_program,
       c.source_rows,
       c.source_rupiah,
       l.batch_id,
       l.row_count                      AS batch_rows,
       l.loaded_at,
       l.superseded_at,
       l.submission_id,
       l.source_uri,
       l.source_bucket,
       l.source_key,
       l.source_version,
       l.landed_at,
       l.sha256,
       l.archive_key
FROM mart.publication AS p
JOIN mart.publication_batch AS pb ON pb.publication_id = p.publication_id
JOIN core.batch_lineage AS l ON l.batch_id = pb.batch_id
CROSS JOIN LATERAL (
    SELECT d.kode_program, count(*) AS source_rows, sum(d.nominal) AS source_rupiah
    FROM core.distribution AS d
    WHERE d.batch_id = pb.batch_id
    GROUP BY d.kode_program
) AS c;

COMMENT ON VIEW core.publication_source IS
    'The source files behind each publication: batch, object (bucket/key/version/sha256), rows per programme.';
