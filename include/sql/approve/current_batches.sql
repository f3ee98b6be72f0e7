-- The current load batch of every merged kab/kota of one province-month: what a decision covers.
-- reads: core.kabkota_month; writes: nothing.
SELECT kode_kabkota, current_batch_id
FROM core.kabkota_month
WHERE province = %(province)s AND periode = %(periode)s
ORDER BY kode_kabkota;
