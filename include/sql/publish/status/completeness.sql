-- The status page's completeness matrix of one province-year: each kab/kota-month's state as the last monthly run's
-- publish task refreshed it, with its approval state now (final, provisional, held back; NULL when nothing is
-- merged) and how many corrections wait as "held: month locked". reads: mart.submission_completeness, ref.kabkota,
-- ref.province, core.kabkota_month_approval, raw.submission; writes: nothing.
SELECT c.kode_kabkota,
       coalesce(k.short, c.nama_kabkota)                                     AS nama_kabkota,
       c.bulan,
       c.periode,
       c.status,
       c.status_label,
       c.days_late,
       c.submissions,
       c.rejected_submissions,
       c.loaded_rows,
       a.status                                                              AS approval_status,
       (SELECT count(*) FROM raw.submission AS s
        WHERE s.province = c.province AND s.periode = c.periode AND s.kode_kabkota = c.kode_kabkota
          AND s.status = 'held')                                             AS held_submissions,
       to_char(c.as_of AT TIME ZONE p.timezone, 'YYYY-MM-DD HH24:MI')        AS as_of
FROM mart.submission_completeness AS c
JOIN ref.province AS p ON p.kode = c.province
LEFT JOIN ref.kabkota AS k ON k.kode = c.kode_kabkota
LEFT JOIN core.kabkota_month_approval AS a
       ON a.province = c.province AND a.periode = c.periode AND a.kode_kabkota = c.kode_kabkota
WHERE c.province = %(province)s AND c.tahun = %(tahun)s
ORDER BY k.sort_order, c.kode_kabkota, c.bulan;
