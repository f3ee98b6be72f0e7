-- Whether an approval locks the kab/kota-month being merged, checked under the approval's advisory lock taken
-- shared for the rest of the merge's transaction: a decision (which takes it exclusive, approve/lock_month.sql)
-- waits until this merge has committed and then covers what it merged, and a merge waits for a decision being
-- recorded and then sees it. reads: core.kabkota_month_approval; writes: nothing (a transaction advisory lock).
SELECT pg_advisory_xact_lock_shared(hashtext('approve:' || %(province)s || ':' || %(periode)s));
SELECT coalesce(bool_or(locked), false), max(approved_batch_id)
FROM core.kabkota_month_approval
WHERE province = %(province)s AND periode = %(periode)s AND kode_kabkota = %(kode_kabkota)s;
