-- Recomputes one province-year of distributions by province/kab-kota/kecamatan x year/quarter/month x programme.
-- Each row also says whether the kab/kota-months it counts are final, and the headline over final months only.
-- reads: core.distribution_current, core.kabkota_month_approval, ref.province, ref.kabkota, ref.region, ref.programme; writes: mart.distribution_by_region.
SELECT pg_advisory_xact_lock(hashtext('publish:' || %(province)s || ':' || %(tahun)s::text));

DELETE FROM mart.distribution_by_region WHERE province = %(province)s AND tahun = %(tahun)s;

WITH d AS (
    SELECT kode_kabkota,
           kode_kecamatan,
           kode_program,
           substr(periode, 6, 2)::integer           AS bulan,
           (substr(periode, 6, 2)::integer + 2) / 3 AS triwulan,
           kk_hash,
           nik_hash,
           nominal,
           saluran,
           c.batch_id,  -- one current batch per kab/kota-month: distinct batches count its months
           coalesce(a.status = 'final', false) AS final
    FROM core.distribution_current AS c
    LEFT JOIN core.kabkota_month_approval AS a USING (province, periode, kode_kabkota)
    WHERE province = %(province)s
      AND periode BETWEEN %(tahun)s::text || '-01' AND %(tahun)s::text || '-12'
),
-- 3 period levels x 3 region levels x (each programme, all programmes) = 18 grouping sets.
-- grouping(triwulan, bulan): 3 = year, 1 = quarter, 0 = month; grouping(kabkota, kecamatan): 3 = province,
-- 1 = kab/kota, 0 = kecamatan.
g AS (
    SELECT grouping(triwulan, bulan)                  AS gp,
           grouping(kode_kabkota, kode_kecamatan)     AS gw,
           grouping(kode_program)                     AS gprog,
           triwulan, bulan, kode_kabkota, kode_kecamatan, kode_program,
           count(DISTINCT kk_hash)                    AS kk,
           count(DISTINCT nik_hash)                   AS persons,
           count(*)                                   AS n,
           sum(nominal)                               AS rp,
           coalesce(sum(nominal) FILTER (WHERE saluran = 'NONTUNAI'), 0) AS rp_nontunai,
           count(DISTINCT kk_hash) FILTER (WHERE final) AS kk_final,
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
