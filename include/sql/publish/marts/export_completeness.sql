-- The completeness and timeliness matrix of one province-year, long form, times in the province's time zone.
-- reads: mart.submission_completeness, ref.province, ref.kabkota; writes: nothing.
SELECT c.tahun,
       c.bulan,
       c.periode,
       c.kode_kabkota,
       c.nama_kabkota,
       c.status,
       c.status_label,
       c.deadline                                                          AS batas_waktu,
       to_char(c.first_landed_at AT TIME ZONE p.timezone, 'YYYY-MM-DD HH24:MI') AS pertama_diterima,
       c.days_late                                                         AS hari_terlambat,
       c.submissions                                                       AS jumlah_kiriman,
       c.rejected_submissions                                              AS kiriman_ditolak,
       c.versions_loaded                                                   AS versi_dimuat,
       c.loaded_rows                                                       AS baris_dimuat,
       to_char(c.as_of AT TIME ZONE p.timezone, 'YYYY-MM-DD HH24:MI')      AS keadaan_per
FROM mart.submission_completeness AS c
JOIN ref.province AS p ON p.kode = c.province
LEFT JOIN ref.kabkota AS k ON k.kode = c.kode_kabkota
WHERE c.province = %(province)s AND c.tahun = %(tahun)s
ORDER BY k.sort_order, c.bulan;
