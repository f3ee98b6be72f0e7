-- The latest failed validations of a province: one row per submission and run, with its failed rules and their counts
-- (never the failing values). reads: dq.rule_result, raw.submission, ref.kabkota, ref.province; writes: nothing.
WITH failed AS (
    SELECT r.submission_id,
           r.run_id,
           max(r.checked_at) AS checked_at,
           jsonb_agg(jsonb_build_object('rule', r.rule, 'severity', r.severity,
                                        'count', r.unexpected_count, 'of', r.element_count)
                     ORDER BY r.severity, r.rule) AS rules
    FROM dq.rule_result AS r
    JOIN raw.submission AS s ON s.submission_id = r.submission_id
    WHERE s.province = %(province)s AND NOT r.success
    GROUP BY r.submission_id, r.run_id
)
SELECT f.submission_id,
       f.run_id,
       s.periode,
       s.kode_kabkota,
       coalesce(k.short, s.kode_kabkota)                                     AS nama_kabkota,
       s.status,
       f.rules,
       to_char(f.checked_at AT TIME ZONE p.timezone, 'YYYY-MM-DD HH24:MI')   AS checked_at
FROM failed AS f
JOIN raw.submission AS s ON s.submission_id = f.submission_id
JOIN ref.province AS p ON p.kode = s.province
LEFT JOIN ref.kabkota AS k ON k.kode = s.kode_kabkota
ORDER BY f.checked_at DESC, f.submission_id DESC
LIMIT %(limit)s;
