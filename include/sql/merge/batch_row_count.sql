-- The row count of a batch loaded before (the same content come back as the newest file).
-- reads: core.load_batch; writes: nothing.
SELECT row_count FROM core.load_batch WHERE batch_id = %s
