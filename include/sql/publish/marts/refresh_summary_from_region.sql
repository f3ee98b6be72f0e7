-- Recomputes the summary of one province and year from mart.distribution_by_region, refreshed just before in the
-- same transaction (the publication's snapshot): every level of the summary is a level of the regional breakdown,
-- year or month x province or kab/kota x each programme or all of them, with the same figures (distinct KK and
-- persons, distributions, Rupiah, the sum over programmes, the status columns). Copying those rows gives the rows
-- publish/refresh_summary.sql counts (tests/publish/test_marts.py compares the two) without counting the year's
-- distinct No KK and NIK a second time. A monthly run, which does not refresh the breakdown, runs
-- publish/refresh_summary.sql. reads: mart.distribution_by_region; writes: mart.distribution_summary (rows of that
-- province and year).
-- Run by bansos.publish.marts.refresh only, which holds the province-year's publishing lock (publish/lock_year.sql).

DELETE FROM mart.distribution_summary WHERE province = %(province)s AND tahun = %(tahun)s;

INSERT INTO mart.distribution_summary
    (province, tahun, bulan, kode_kabkota, kode_program,
     kk_assisted, kk_sum_programmes, persons, distributions, total_rupiah, counting_unit, recipients,
     approval_status, provisional_months, kk_sum_programmes_final)
SELECT province, tahun, bulan, kode_kabkota, kode_program,
       kk_assisted, kk_sum_programmes, persons, distributions, total_rupiah, counting_unit, recipients,
       approval_status, provisional_months, kk_sum_programmes_final
FROM mart.distribution_by_region
WHERE province = %(province)s
  AND tahun = %(tahun)s
  AND jenis_periode IN ('tahun', 'bulan')
  AND tingkat IN ('provinsi', 'kabupaten_kota');
