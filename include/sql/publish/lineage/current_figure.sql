-- One figure as the summary mart holds it now (NULL bulan, kab/kota or programme = the total).
-- reads: mart.distribution_summary; writes: nothing.
SELECT kk_assisted, kk_sum_programmes, persons, distributions, total_rupiah
FROM mart.distribution_summary
WHERE province = %(province)s AND tahun = %(tahun)s
  AND bulan IS NOT DISTINCT FROM %(bulan)s::integer
  AND kode_kabkota IS NOT DISTINCT FROM %(kode_kabkota)s::text
  AND kode_program IS NOT DISTINCT FROM %(kode_program)s::text;
