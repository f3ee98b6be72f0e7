-- Recomputes one province-year of the data-quality summary from the newest check of each file and rule.
-- reads: dq.rule_result, raw.submission, ref.kabkota; writes: mart.dq_summary.
-- Run by bansos.publish.marts.refresh only, which holds the province-year's publishing lock (publish/lock_year.sql).

DELETE FROM mart.dq_summary WHERE province = %(province)s AND tahun = %(tahun)s;

WITH newest AS (
    SELECT DISTINCT ON (r.submission_id, r.rule)
           s.periode, s.kode_kabkota, r.rule, r.severity, r.description, r.success,
           r.element_count, r.unexpected_count
    FROM dq.rule_result AS r
    JOIN raw.submission AS s ON s.submission_id = r.submission_id
    WHERE s.province = %(province)s
      AND s.periode BETWEEN %(tahun)s::text || '-01' AND %(tahun)s::text || '-12'
    ORDER BY r.submission_id, r.rule, r.checked_at DESC, r.run_id DESC
)
INSERT INTO mart.dq_summary
    (province, tahun, bulan, periode, kode_kabkota, nama_kabkota, rule, severity, description,
     submissions_checked, submissions_failed, rows_checked, rows_failed, failed_pct)
SELECT %(province)s,
       %(tahun)s,
       substr(n.periode, 6, 2)::integer,
       n.periode,
       n.kode_kabkota,
       coalesce(k.nama, n.kode_kabkota),
       n.rule,
       -- a rule's severity is fixed by the suite; 'error' wins if a file was checked under both
       min(n.severity),
       (array_agg(n.description ORDER BY n.success, n.description))[1],
       count(*),
       count(*) FILTER (WHERE NOT n.success),
       sum(n.element_count),
       coalesce(sum(n.unexpected_count) FILTER (WHERE NOT n.success), 0),
       round(100.0 * coalesce(sum(n.unexpected_count) FILTER (WHERE NOT n.success), 0)
             / nullif(sum(n.element_count), 0), 2)
FROM newest AS n
LEFT JOIN ref.kabkota AS k ON k.kode = n.kode_kabkota
GROUP BY n.periode, n.kode_kabkota, k.nama, n.rule;
