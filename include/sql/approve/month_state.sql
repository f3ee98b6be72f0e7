-- The approval state of each merged kab/kota of one province-month (all of them when kode_kabkota is NULL).
-- reads: core.kabkota_month_approval; writes: nothing.
SELECT kode_kabkota, current_batch_id, status, locked, approved_batch_id
FROM core.kabkota_month_approval
WHERE province = %(province)s AND periode = %(periode)s
  AND (%(kode_kabkota)s::text IS NULL OR kode_kabkota = %(kode_kabkota)s)
ORDER BY kode_kabkota;
