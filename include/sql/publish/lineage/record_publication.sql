-- Records a publication of a province-year (its current batches, a copy of its summary rows) unless its batches
-- are the latest publication's. reads: core.kabkota_month, core.load_batch, mart.distribution_summary;
-- writes: mart.publication, mart.publication_batch, mart.publication_figure.
-- Run it after publish/refresh_summary.sql, best in the same transaction; it takes the same advisory lock.
SELECT pg_advisory_xact_lock(hashtext('publish:' || %(province)s || ':' || %(tahun)s::text));

WITH cur AS (
    SELECT km.current_batch_id AS batch_id, b.row_count
    FROM core.kabkota_month AS km
    JOIN core.load_batch AS b ON b.batch_id = km.current_batch_id
    WHERE km.province = %(province)s AND substr(km.periode, 1, 4) = %(tahun)s::text
),
last AS (
    SELECT publication_id
    FROM mart.publication
    WHERE province = %(province)s AND tahun = %(tahun)s
    ORDER BY publication_id DESC
    LIMIT 1
),
last_batches AS (
    SELECT pb.batch_id FROM mart.publication_batch AS pb JOIN last USING (publication_id)
),
changed AS (
    SELECT (NOT EXISTS (SELECT 1 FROM last) AND EXISTS (SELECT 1 FROM cur))
           OR EXISTS (SELECT batch_id FROM cur EXCEPT SELECT batch_id FROM last_batches)
           OR EXISTS (SELECT batch_id FROM last_batches EXCEPT SELECT batch_id FROM cur) AS yes
),
pub AS (
    INSERT INTO mart.publication (province, tahun, batch_count, row_count)
    SELECT %(province)s, %(tahun)s, (SELECT count(*) FROM cur), (SELECT coalesce(sum(row_count), 0) FROM cur)
    FROM changed
    WHERE changed.yes
    RETURNING publication_id
),
batches AS (
    INSERT INTO mart.publication_batch (publication_id, batch_id)
    SELECT pub.publication_id, cur.batch_id FROM pub CROSS JOIN cur
),
figures AS (
    INSERT INTO mart.publication_figure
        (publication_id, bulan, kode_kabkota, kode_program,
         kk_assisted, kk_sum_programmes, persons, distributions, total_rupiah)
    SELECT pub.publication_id, s.bulan, s.kode_kabkota, s.kode_program,
           s.kk_assisted, s.kk_sum_programmes, s.persons, s.distributions, s.total_rupiah
    FROM pub
    CROSS JOIN mart.distribution_summary AS s
    WHERE s.province = %(province)s AND s.tahun = %(tahun)s
)
SELECT coalesce((SELECT publication_id FROM pub), (SELECT publication_id FROM last)) AS publication_id,
       EXISTS (SELECT 1 FROM pub)                                                   AS is_new;
