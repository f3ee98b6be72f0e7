-- Every table in schema staging with the submission it belongs to, its status and its live claim (if any),
-- for the sweep of leftovers. reads: pg_tables, raw.submission; writes: nothing.
SELECT t.tablename,
       s.submission_id,
       s.status,
       CASE WHEN s.status = 'staged'
             AND s.claimed_at >= now() - make_interval(mins => %(lease_minutes)s) THEN s.claimed_by END AS live_claim
FROM pg_tables AS t
LEFT JOIN raw.submission AS s
       ON s.submission_id = substring(t.tablename FROM '^submission_([0-9]+)_')::bigint
WHERE t.schemaname = 'staging'
ORDER BY t.tablename;
