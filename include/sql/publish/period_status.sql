-- Each kab/kota of a province for one month: its newest submission (a file rejected for a format the pipeline
-- does not read only when the kab/kota sent nothing else), what became of it, which run holds it if one does
-- (and whether that claim is still live), whether the month is loaded and its approval state (final, provisional,
-- held back; NULL when nothing is loaded). reads: ref.kabkota, raw.submission, core.kabkota_month, core.load_batch,
-- core.kabkota_month_approval; writes: nothing.
SELECT k.kode,
       k.short,
       s.submission_id,
       s.status,
       s.row_count,
       s.reasons,
       s.quarantine_key,
       s.claimed_by,
       s.claimed_at > now() - make_interval(mins => %(lease_minutes)s) AS claim_live,
       b.submission_id AS loaded_submission_id,
       b.row_count     AS loaded_rows,
       a.status        AS approval_status
FROM ref.kabkota AS k
LEFT JOIN LATERAL (
    SELECT *
    FROM raw.submission AS s
    WHERE s.province = k.province AND s.periode = %(periode)s AND s.kode_kabkota = k.kode
    ORDER BY s.status = 'rejected' AND s.reasons @> '[{"rule": "unsupported_format"}]', s.landed_at DESC,
             s.submission_id DESC
    LIMIT 1
) AS s ON true
LEFT JOIN core.kabkota_month AS km
       ON km.province = k.province AND km.periode = %(periode)s AND km.kode_kabkota = k.kode
LEFT JOIN core.load_batch AS b ON b.batch_id = km.current_batch_id
LEFT JOIN core.kabkota_month_approval AS a
       ON a.province = k.province AND a.periode = %(periode)s AND a.kode_kabkota = k.kode
WHERE k.province = %(province)s
ORDER BY k.sort_order;
