-- Gives up a run's claims on one kab/kota-month once its branch has failed for good, so a later run need not
-- wait for the lease. reads: raw.submission; writes: raw.submission.
UPDATE raw.submission
SET claimed_by = NULL, claimed_at = NULL
WHERE province = %(province)s AND periode = %(periode)s AND kode_kabkota = %(kode_kabkota)s
  AND claimed_by = %(run_id)s;
SELECT submission_id FROM raw.submission
WHERE province = %(province)s AND periode = %(periode)s AND kode_kabkota = %(kode_kabkota)s;
