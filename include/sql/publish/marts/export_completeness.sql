-- The completeness and timeliness matrix of one province-year, long form, times in the province's time zone; last,
-- each kab/kota-month's approval (issue 13): final, provisional (not approved, held back, or changed since), NULL when
-- nothing is merged; and how many corrections wait as "held: month locked".
-- reads: mart.submission_completeness, ref.province, ref.kabkota, core.kabkota_month_approval, raw.submission;
-- writes: nothing.
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
       to_char(c.as_of AT TIME ZONE p.timezone, 'YYYY-MM-DD HH24:MI')      AS keadaan_per,
       CASE WHEN a.status IS NULL THEN NULL WHEN a.status = 'final' THEN 'final' ELSE 'provisional' END
                                                                           AS approval_status,
       (SELECT count(*) FROM raw.submission AS s
        WHERE s.province = c.province AND s.periode = c.periode AND s.kode_kabkota = c.kode_kabkota
          AND s.status = 'held')                                            AS held_corrections
FROM mart.submission_completeness AS c
JOIN ref.province AS p ON p.kode = c.province
LEFT JOIN ref.kabkota AS k ON k.kode = c.kode_kabkota
LEFT JOIN core.kabkota_month_approval AS a
       ON a.province = c.province AND a.periode = c.periode AND a.kode_kabkota = c.kode_kabkota
WHERE c.province = %(province)s AND c.tahun = %(tahun)s
ORDER BY k.sort_order, c.bulan;
