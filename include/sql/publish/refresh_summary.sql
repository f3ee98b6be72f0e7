-- Recomputes the summary of one province and year from the current batch of every kab/kota-month.
-- reads: core.distribution_current, ref.programme; writes: mart.distribution_summary (rows of that province and year).
SELECT pg_advisory_xact_lock(hashtext('publish:' || %(province)s || ':' || %(tahun)s::text));

DELETE FROM mart.distribution_summary WHERE province = %(province)s AND tahun = %(tahun)s;

WITH d AS (
    SELECT kode_kabkota,
           kode_program,
           substr(periode, 6, 2)::integer AS bulan,
           kk_hash,
           nik_hash,
           nominal
    FROM core.distribution_current
    WHERE province = %(province)s AND substr(periode, 1, 4) = %(tahun)s::text
),
by_programme AS (
    SELECT grouping(bulan, kode_kabkota) AS g, bulan, kode_kabkota, kode_program,
           count(DISTINCT kk_hash) AS kk, count(DISTINCT nik_hash) AS persons,
           count(*) AS n, sum(nominal) AS rp
    FROM d
    GROUP BY GROUPING SETS ((bulan, kode_kabkota, kode_program), (kode_kabkota, kode_program),
                            (bulan, kode_program), (kode_program))
),
all_programmes AS (
    SELECT grouping(bulan, kode_kabkota) AS g, bulan, kode_kabkota,
           count(DISTINCT kk_hash) AS kk, count(DISTINCT nik_hash) AS persons,
           count(*) AS n, sum(nominal) AS rp
    FROM d
    GROUP BY GROUPING SETS ((bulan, kode_kabkota), (kode_kabkota), (bulan), ())
),
programme_sums AS (
    SELECT g, bulan, kode_kabkota, sum(kk) AS kk_sum
    FROM by_programme
    GROUP BY g, bulan, kode_kabkota
)
INSERT INTO mart.distribution_summary
    (province, tahun, bulan, kode_kabkota, kode_program,
     kk_assisted, kk_sum_programmes, persons, distributions, total_rupiah, counting_unit, recipients)
-- a programme's recipients in its counting unit (ref.programme): distinct NIK for persons, distinct No KK else
SELECT %(province)s, %(tahun)s, p.bulan, p.kode_kabkota, p.kode_program, p.kk, p.kk, p.persons, p.n, p.rp,
       coalesce(r.counting_unit, 'households'),
       CASE WHEN r.counting_unit = 'persons' THEN p.persons ELSE p.kk END
FROM by_programme AS p
LEFT JOIN ref.programme AS r ON r.province = %(province)s AND r.kode_program = p.kode_program
UNION ALL
SELECT %(province)s, %(tahun)s, a.bulan, a.kode_kabkota, NULL, a.kk, s.kk_sum, a.persons, a.n, a.rp, NULL, NULL
FROM all_programmes AS a
JOIN programme_sums AS s
  ON s.g = a.g
 AND s.bulan IS NOT DISTINCT FROM a.bulan
 AND s.kode_kabkota IS NOT DISTINCT FROM a.kode_kabkota;
