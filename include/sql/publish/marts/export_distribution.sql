-- The distribution mart of one province-year as published: every level, in reading order, no identifiers; the
-- approval columns (issue 13) last: final or provisional, how many kab/kota-months the row counts are not final, and
-- the KK figure over final kab/kota-months only. reads: mart.distribution_by_region, ref.kabkota, ref.programme; writes: nothing.
SELECT d.tahun,
       d.jenis_periode,
       d.periode,
       d.triwulan,
       d.bulan,
       d.tingkat,
       d.kode_wilayah,
       d.nama_wilayah,
       d.kode_kabkota,
       d.nama_kabkota,
       d.kode_kecamatan,
       d.nama_kecamatan,
       d.kode_program,
       d.nama_program,
       d.counting_unit,
       d.recipients,
       d.kk_assisted,
       d.kk_sum_programmes,
       d.persons,
       d.distributions,
       d.total_rupiah,
       d.nontunai_rupiah,
       d.avg_rupiah_per_kk,
       d.avg_rupiah_per_distribution,
       d.approval_status,
       d.provisional_months,
       d.kk_sum_programmes_final
FROM mart.distribution_by_region AS d
LEFT JOIN ref.kabkota AS k ON k.kode = d.kode_kabkota
LEFT JOIN ref.programme AS p ON p.province = d.province AND p.kode_program = d.kode_program
WHERE d.province = %(province)s AND d.tahun = %(tahun)s
ORDER BY CASE d.jenis_periode WHEN 'tahun' THEN 0 WHEN 'triwulan' THEN 1 ELSE 2 END,
         d.triwulan NULLS FIRST,
         d.bulan NULLS FIRST,
         CASE d.tingkat WHEN 'provinsi' THEN 0 WHEN 'kabupaten_kota' THEN 1 ELSE 2 END,
         k.sort_order NULLS FIRST,
         d.kode_kecamatan NULLS FIRST,
         p.sort_order NULLS FIRST,
         d.kode_program NULLS FIRST;
