-- Each kab/kota of a province for one month, as an approval request shows it: its newest file and what became
-- of it, the loaded batch and rows, its approval state, the data-quality warnings of the loaded file and the
-- integrity findings that name the kab/kota. Counts and codes only: no identifier.
-- reads: ref.kabkota, raw.submission, core.kabkota_month, core.load_batch, core.kabkota_month_approval,
-- dq.rule_result, dq.integrity_finding; writes: nothing.
SELECT k.kode,
       k.nama,
       s.status                          AS newest_status,
       km.current_batch_id               AS batch_id,
       b.row_count                       AS rows_loaded,
       coalesce(a.status, 'provisional') AS approval_status,
       coalesce(a.locked, false)         AS locked,
       (SELECT count(DISTINCT r.rule)
        FROM dq.rule_result AS r
        WHERE r.submission_id = b.submission_id AND r.severity = 'warning' AND NOT r.success) AS dq_warnings,
       (SELECT count(*)
        FROM dq.integrity_finding AS f
        WHERE f.province = k.province AND f.periode = %(periode)s AND k.kode = ANY (f.kabkota))   AS integrity_findings
FROM ref.kabkota AS k
LEFT JOIN LATERAL (
    SELECT x.status
    FROM raw.submission AS x
    WHERE x.province = k.province AND x.periode = %(periode)s AND x.kode_kabkota = k.kode
    ORDER BY x.landed_at DESC, x.submission_id DESC
    LIMIT 1
) AS s ON true
LEFT JOIN core.kabkota_month AS km
       ON km.province = k.province AND km.periode = %(periode)s AND km.kode_kabkota = k.kode
LEFT JOIN core.load_batch AS b ON b.batch_id = km.current_batch_id
LEFT JOIN core.kabkota_month_approval AS a
       ON a.province = k.province AND a.periode = %(periode)s AND a.kode_kabkota = k.kode
WHERE k.province = %(province)s
ORDER BY k.sort_order;
