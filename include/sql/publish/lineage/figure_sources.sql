-- The source files behind one figure (province, tahun, optional bulan, kab/kota, programme): one row per file
-- with the rows and Rupiah it contributed. With a publication_id, the batches that publication was computed
-- from; without, the current batches. reads: mart.publication_batch, core.kabkota_month, core.batch_lineage,
-- core.distribution; writes: nothing.
WITH batches AS (
    SELECT pb.batch_id
    FROM mart.publication_batch AS pb
    WHERE pb.publication_id = %(publication_id)s
    UNION
    SELECT km.current_batch_id
    FROM core.kabkota_month AS km
    WHERE %(publication_id)s::bigint IS NULL
      AND km.province = %(province)s AND substr(km.periode, 1, 4) = %(tahun)s::text
)
SELECT l.periode,
       l.kode_kabkota,
       c.source_rows,
       c.source_rupiah,
       l.row_count AS batch_rows,
       l.batch_id,
       l.submission_id,
       l.source_uri,
       l.source_bucket,
       l.source_key,
       l.source_version,
       l.landed_at,
       l.sha256,
       l.archive_key,
       l.loaded_at,
       l.superseded_at
FROM batches
JOIN core.batch_lineage AS l ON l.batch_id = batches.batch_id
CROSS JOIN LATERAL (
    SELECT count(*) AS source_rows, coalesce(sum(d.nominal), 0) AS source_rupiah
    FROM core.distribution AS d
    WHERE d.batch_id = batches.batch_id
      AND (%(kode_program)s::text IS NULL OR d.kode_program = %(kode_program)s)
) AS c
WHERE l.province = %(province)s
  AND substr(l.periode, 1, 4) = %(tahun)s::text
  AND (%(bulan)s::integer IS NULL OR substr(l.periode, 6, 2)::integer = %(bulan)s)
  AND (%(kode_kabkota)s::text IS NULL OR l.kode_kabkota = %(kode_kabkota)s)
  AND c.source_rows > 0
ORDER BY l.periode, l.kode_kabkota;
