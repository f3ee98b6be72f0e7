-- Statistics for the reference tables after a reload, so the next stage plans its region joins on their real
-- sizes (never analysed, ref.region's 91,000 rows were taken for a few hundred). Autovacuum would get there
-- within a minute or so; a month staged at once after a deployment or a code-list update would not wait.
-- reads: ref.region, ref.region_history, ref.kecamatan_digits, ref.kabkota, ref.programme; writes: their statistics.
ANALYZE ref.region, ref.region_history, ref.kecamatan_digits, ref.kabkota, ref.programme;
