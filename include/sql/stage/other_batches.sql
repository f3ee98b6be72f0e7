-- The batches a file is compared with by the rules across months (build_checked.sql): the current batch of every
-- kab/kota-month of the province but the one being validated (a correction is judged against the other months,
-- not against the version it replaces), its month (the lookups name the months they read, so the planner reads
-- only those months' partitions), and whether it is of the file's calendar year.
-- reads: core.kabkota_month; writes: nothing.
SELECT current_batch_id, periode, left(periode, 4) = left(%(periode)s, 4) AS in_year
FROM core.kabkota_month
WHERE province = %(province)s
  AND NOT (kode_kabkota = %(kode_kabkota)s AND periode = %(periode)s)
ORDER BY current_batch_id
