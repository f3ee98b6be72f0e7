-- The status page's completeness matrix of one province-year: each kab/kota-month's state as the last monthly run's
-- publish task refreshed it. reads: mart.submission_completeness, ref.kabkota, ref.province; writes: nothing.
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
       to_char(c.as_of AT TIME ZONE p.timezone, 'YYYY-MM-DD HH24:MI')        AS as_of
FROM mart.submission_completeness AS c
JOIN ref.province AS p ON p.kode = c.province
LEFT JOIN ref.kabkota AS k ON k.kode = c.kode_kabkota
WHERE c.province = %(province)s AND c.tahun = %(tahun)s
ORDER BY k.sort_order, c.kode_kabkota, c.bulan;
