-- The approval history of one province-month, oldest first.
-- reads: core.approval; writes: nothing.
SELECT approval_id, decision, kode_kabkota, held, reason, decided_by, decided_at, batch_ids, run_id, source
FROM core.approval
WHERE province = %(province)s AND periode = %(periode)s
ORDER BY approval_id;
