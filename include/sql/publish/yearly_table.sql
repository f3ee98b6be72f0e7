-- The province's yearly table: KK assisted per programme and kab/kota, with totals, for printing; with the
-- approval columns (issue 13): the headline over final kab/kota-months only and how many are not final.
-- reads: mart.distribution_summary, ref.kabkota, ref.programme; writes: nothing.
SELECT coalesce(s.kode_program, '') AS kode_program,
       coalesce(s.kode_kabkota, '')  AS kode_kabkota,
       s.kk_assisted,
       s.kk_sum_programmes,
       s.distributions,
       s.total_rupiah,
       s.kk_sum_programmes_final,
       s.provisional_months
FROM mart.distribution_summary AS s
WHERE s.province = %(province)s AND s.tahun = %(tahun)s AND s.bulan IS NULL
ORDER BY s.kode_program NULLS LAST, s.kode_kabkota NULLS LAST;
