-- Row counts of the kab/kota's loaded months before this one (newest first), for the robust
-- jump/drop rule. reads: core.kabkota_month, core.load_batch; writes: nothing.
SELECT b.row_count
FROM core.kabkota_month AS km
JOIN core.load_batch AS b ON b.batch_id = km.current_batch_id
WHERE km.province = %(province)s AND km.kode_kabkota = %(kode_kabkota)s AND km.periode < %(periode)s
ORDER BY km.periode DESC
LIMIT %(months)s;
