-- The approval history of a province (one month when periode is given), oldest first.
-- reads: core.approval; writes: nothing.
SELECT approval_id, periode, decision, kode_kabkota, held, reason, decided_by, decided_at, batch_ids, run_id, source
FROM core.approval
WHERE province = %(province)s AND (%(periode)s::text IS NULL OR periode = %(periode)s)
ORDER BY periode, approval_id;
