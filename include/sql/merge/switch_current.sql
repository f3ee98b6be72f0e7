-- Makes a batch the current one of its kab/kota-month; the batch it replaces stays, marked superseded.
-- reads: core.kabkota_month; writes: core.load_batch, core.kabkota_month, raw.submission.
UPDATE core.load_batch
SET superseded_at = now(), superseded_by = %(batch_id)s
WHERE batch_id = %(previous_batch_id)s;

UPDATE raw.submission
SET status = 'superseded', decided_at = now()
WHERE submission_id = %(previous_submission_id)s;

UPDATE core.load_batch SET superseded_at = NULL, superseded_by = NULL WHERE batch_id = %(batch_id)s;

INSERT INTO core.kabkota_month (province, periode, kode_kabkota, current_batch_id)
VALUES (%(province)s, %(periode)s, %(kode_kabkota)s, %(batch_id)s)
ON CONFLICT (province, periode, kode_kabkota) DO UPDATE
SET current_batch_id = EXCLUDED.current_batch_id, updated_at = now();

UPDATE raw.submission
SET status = 'accepted', decided_at = now()
WHERE submission_id = %(submission_id)s;
