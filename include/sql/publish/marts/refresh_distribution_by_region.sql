-- Recomputes one province-year of distributions by province/kab-kota/kecamatan x year/quarter/month x programme.
-- Each row also says whether the kab/kota-months it counts are final, and the headline over final months only.
-- reads: core.kabkota_month_approval, core.distribution, ref.province, ref.kabkota, ref.region, ref.programme; writes: mart.distribution_by_region.
-- Run by bansos.publish.marts.refresh only, which holds the province-year's publishing lock (publish/lock_year.sql).

DELETE FROM mart.distribution_by_region WHERE province = %(province)s AND tahun = %(tahun)s;

-- The year's rows are read through its current batches, the kab/kota-months of the province and year (one index
-- probe of core.distribution's key per batch), each kab/kota-month's approval looked up once, not once per row.
-- The same rows as core.distribution_current filtered on the rows' own province and periode: a batch holds the
-- rows of its own kab/kota-month only (the critical rules periode_matches_folder and kabkota_matches_folder
-- reject a file with any other). Driven from the distribution rows instead, the planner, which takes a year of
-- a never-analysed core.distribution for a few rows, compared every row with every kab/kota-month (13,000,000
-- comparisons for a Kepri year, 2 of this statement's 3.4 s).
-- The sorts of a year's rows (20 MB for Kepri) in memory, not spilled to disk:
SET LOCAL work_mem = '64MB';

WITH months AS MATERIALIZED (
    SELECT current_batch_id, coalesce(status = 'final', false) AS final
    FROM core.kabkota_month_approval
    WHERE province = %(province)s
      AND periode BETWEEN %(tahun)s::text || '-01' AND %(tahun)s::text || '-12'
),
d AS (
    SELECT c.kode_kabkota,
           c.kode_kecamatan,
           c.kode_program,
           substr(c.periode, 6, 2)::integer           AS bulan,
           (substr(c.periode, 6, 2)::integer + 2) / 3 AS triwulan,
           -- No KK and NIK hashes as small numbers (the same one for the same hash): the distinct counts below sort
           -- each group's values, and integers sort in a fraction of the time 32-byte hashes take (2.0 -> 1.5 CPU-s)
           dense_rank() OVER (ORDER BY c.kk_hash)::integer  AS kk_id,
           dense_rank() OVER (ORDER BY c.nik_hash)::integer AS nik_id,
           c.nominal,
           c.saluran,
           c.batch_id,  -- one current batch per kab/kota-month: distinct batches count its months
           m.final
    FROM months AS m
    JOIN core.distribution AS c ON c.batch_id = m.current_batch_id
    WHERE c.province = %(province)s
      AND c.periode BETWEEN %(tahun)s::text || '-01' AND %(tahun)s::text || '-12'
),
g AS (
    SELECT grouping(triwulan, bulan)                  AS gp,
           grouping(kode_kabkota, kode_kecamatan)     AS gw,
           grouping(kode_program)                     AS gprog,
           triwulan, bulan, kode_kabkota, kode_kecamatan, kode_program,
           count(DISTINCT kk_id)                    AS kk,
           count(DISTINCT nik_id)                   AS persons,
           count(*)                                   AS n,
           sum(nominal)                               AS rp,
           coalesce(sum(nominal) FILTER (WHERE saluran = 'NONTUNAI'), 0) AS rp_nontunai,
           count(DISTINCT kk_id) FILTER (WHERE final) AS kk_final,
           count(DISTINCT batch_id) FILTER (WHERE NOT final) AS provisional_months
    FROM d
    GROUP BY GROUPING SETS ((), (triwulan), (triwulan, bulan)),
             GROUPING SETS ((), (kode_kabkota), (kode_kabkota, kode_kecamatan)),
             GROUPING SETS ((), (kode_program))
),
-- The province's headline figure: KK per programme summed over programmes, beside the distinct count.
s AS (
    SELECT g.*,
           CASE WHEN gprog = 0 THEN kk
                ELSE sum(kk) FILTER (WHERE gprog = 0)
                         OVER (PARTITION BY gp, gw, triwulan, bulan, kode_kabkota, kode_kecamatan)
           END AS kk_sum,
           CASE WHEN gprog = 0 THEN kk_final
                ELSE sum(kk_final) FILTER (WHERE gprog = 0)
                         OVER (PARTITION BY gp, gw, triwulan, bulan, kode_kabkota, kode_kecamatan)
           END AS kk_sum_final
    FROM g
)
INSERT INTO mart.distribution_by_region
    (province, tahun, jenis_periode, triwulan, bulan, periode, tingkat, kode_wilayah, nama_wilayah,
     kode_kabkota, nama_kabkota, kode_kecamatan, nama_kecamatan, kode_program, nama_program,
     kk_assisted, kk_sum_programmes, persons, distributions, total_rupiah, nontunai_rupiah,
     avg_rupiah_per_kk, avg_rupiah_per_distribution, counting_unit, recipients,
     approval_status, provisional_months, kk_sum_programmes_final)
SELECT %(province)s,
       %(tahun)s,
       CASE s.gp WHEN 3 THEN 'tahun' WHEN 1 THEN 'triwulan' ELSE 'bulan' END,
       s.triwulan,
       s.bulan,
       CASE s.gp WHEN 3 THEN %(tahun)s::text
                 WHEN 1 THEN %(tahun)s::text || '-T' || s.triwulan
                 ELSE %(tahun)s::text || '-' || lpad(s.bulan::text, 2, '0') END,
       CASE s.gw WHEN 3 THEN 'provinsi' WHEN 1 THEN 'kabupaten_kota' ELSE 'kecamatan' END,
       coalesce(s.kode_kecamatan, s.kode_kabkota, %(province)s),
       coalesce(kec.nama, k.nama, pr.nama, s.kode_kecamatan, s.kode_kabkota, %(province)s),
       s.kode_kabkota,
       coalesce(k.nama, s.kode_kabkota),
       s.kode_kecamatan,
       coalesce(kec.nama, s.kode_kecamatan),
       s.kode_program,
       coalesce(p.nama, s.kode_program, 'Semua program'),
       s.kk,
       s.kk_sum,
       s.persons,
       s.n,
       s.rp,
       s.rp_nontunai,
       round(s.rp::numeric / s.kk)::bigint,
       round(s.rp::numeric / s.n)::bigint,
       -- a programme's recipients in its counting unit: distinct NIK for persons, distinct No KK otherwise
       CASE WHEN s.kode_program IS NOT NULL THEN coalesce(p.counting_unit, 'households') END,
       CASE WHEN s.kode_program IS NULL THEN NULL WHEN p.counting_unit = 'persons' THEN s.persons ELSE s.kk END,
       CASE WHEN s.provisional_months = 0 THEN 'final' ELSE 'provisional' END,
       s.provisional_months,
       s.kk_sum_final
FROM s
LEFT JOIN ref.province AS pr ON pr.kode = %(province)s
LEFT JOIN ref.kabkota AS k ON k.kode = s.kode_kabkota
LEFT JOIN ref.region AS kec ON kec.kode = s.kode_kecamatan
LEFT JOIN ref.programme AS p ON p.province = %(province)s AND p.kode_program = s.kode_program;
