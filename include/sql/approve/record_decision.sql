-- Appends one decision on a province-month to the approval history.
-- reads: nothing; writes: core.approval (one row).
INSERT INTO core.approval
    (province, periode, decision, kode_kabkota, held, reason, decided_by, batch_ids, run_id, source)
VALUES (%(province)s, %(periode)s, %(decision)s, %(kode_kabkota)s, %(held)s::text[], %(reason)s, %(who)s,
        %(batch_ids)s::bigint[], %(run_id)s, %(source)s)
RETURNING approval_id, decided_at;
