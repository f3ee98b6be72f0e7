-- Recomputes the summary of one province and year from the current batch of every kab/kota-month.
-- Each row also says whether the kab/kota-months it counts are final (core.kabkota_month_approval), and the
-- headline over final months only. reads: core.kabkota_month_approval, core.distribution, ref.programme; writes: mart.distribution_summary (rows of that province and year).
SELECT pg_advisory_xact_lock(hashtext('publish:' || %(province)s || ':' || %(tahun)s::text));

DELETE FROM mart.distribution_summary WHERE province = %(province)s AND tahun = %(tahun)s;

-- The year's rows through its current batches, each kab/kota-month's approval looked up once: see
-- publish/marts/refresh_distribution_by_region.sql (the same rows as core.distribution_current of the year).
-- The sorts of a year's rows in memory, not spilled to disk:
SET LOCAL work_mem = '64MB';

WITH months AS MATERIALIZED (
    SELECT current_batch_id, coalesce(status = 'final', false) AS final
    FROM core.kabkota_month_approval
    WHERE province = %(province)s AND substr(periode, 1, 4) = %(tahun)s::text
),
d AS (
    SELECT c.kode_kabkota,
           c.kode_program,
           substr(c.periode, 6, 2)::integer AS bulan,
           c.kk_hash,
           c.nik_hash,
           c.nominal,
           c.batch_id,  -- one current batch per kab/kota-month: distinct batches count its months
           m.final
    FROM months AS m
    JOIN core.distribution AS c ON c.batch_id = m.current_batch_id
    WHERE c.province = %(province)s AND substr(c.periode, 1, 4) = %(tahun)s::text
),
by_programme AS (
    SELECT grouping(bulan, kode_kabkota) AS g, bulan, kode_kabkota, kode_program,
           count(DISTINCT kk_hash) AS kk, count(DISTINCT nik_hash) AS persons,
           count(*) AS n, sum(nominal) AS rp,
           count(DISTINCT kk_hash) FILTER (WHERE final) AS kk_final,
           count(DISTINCT batch_id) FILTER (WHERE NOT final) AS provisional_months
    FROM d
    GROUP BY GROUPING SETS ((bulan, kode_kabkota, kode_program), (kode_kabkota, kode_program),
                            (bulan, kode_program), (kode_program))
),
all_programmes AS (
    SELECT grouping(bulan, kode_kabkota) AS g, bulan, kode_kabkota,
           count(DISTINCT kk_hash) AS kk, count(DISTINCT nik_hash) AS persons,
           count(*) AS n, sum(nominal) AS rp,
           count(DISTINCT batch_id) FILTER (WHERE NOT final) AS provisional_months
    FROM d
    GROUP BY GROUPING SETS ((bulan, kode_kabkota), (kode_kabkota), (bulan), ())
),
programme_sums AS (
    SELECT g, bulan, kode_kabkota, sum(kk) AS kk_sum, sum(kk_final) AS kk_sum_final
    FROM by_programme
    GROUP BY g, bulan, kode_kabkota
)
INSERT INTO mart.distribution_summary
    (province, tahun, bulan, kode_kabkota, kode_program,
     kk_assisted, kk_sum_programmes, persons, distributions, total_rupiah, counting_unit, recipients,
     approval_status, provisional_months, kk_sum_programmes_final)
-- a programme's recipients in its counting unit (ref.programme): distinct NIK for persons, distinct No KK else
SELECT %(province)s, %(tahun)s, p.bulan, p.kode_kabkota, p.kode_program, p.kk, p.kk, p.persons, p.n, p.rp,
       coalesce(r.counting_unit, 'households'),
       CASE WHEN r.counting_unit = 'persons' THEN p.persons ELSE p.kk END,
       CASE WHEN p.provisional_months = 0 THEN 'final' ELSE 'provisional' END, p.provisional_months, p.kk_final
FROM by_programme AS p
LEFT JOIN ref.programme AS r ON r.province = %(province)s AND r.kode_program = p.kode_program
UNION ALL
SELECT %(province)s, %(tahun)s, a.bulan, a.kode_kabkota, NULL, a.kk, s.kk_sum, a.persons, a.n, a.rp, NULL, NULL,
       CASE WHEN a.provisional_months = 0 THEN 'final' ELSE 'provisional' END, a.provisional_months, s.kk_sum_final
FROM all_programmes AS a
JOIN programme_sums AS s
  ON s.g = a.g
 AND s.bulan IS NOT DISTINCT FROM a.bulan
 AND s.kode_kabkota IS NOT DISTINCT FROM a.kode_kabkota;
