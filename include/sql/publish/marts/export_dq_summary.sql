-- The data-quality summary of one province-year: per kab/kota-month and rule, counts only (no examples).
-- reads: mart.dq_summary, ref.kabkota; writes: nothing.
SELECT q.tahun,
       q.bulan,
       q.periode,
       q.kode_kabkota,
       q.nama_kabkota,
       q.rule                  AS aturan,
       q.severity              AS tingkat_keparahan,
       q.description           AS keterangan,
       q.submissions_checked   AS kiriman_diperiksa,
       q.submissions_failed    AS kiriman_gagal,
       q.rows_checked          AS baris_diperiksa,
       q.rows_failed           AS baris_gagal,
       q.failed_pct            AS persen_gagal
FROM mart.dq_summary AS q
LEFT JOIN ref.kabkota AS k ON k.kode = q.kode_kabkota
WHERE q.province = %(province)s AND q.tahun = %(tahun)s
ORDER BY k.sort_order, q.bulan, q.severity, q.rule;
