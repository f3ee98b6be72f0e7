-- Renews a run's claim and locks the submission's row until the transaction ends, if the run still holds it
-- in the status the step expects; no row returned = taken over or decided. reads: raw.submission;
-- writes: raw.submission.
UPDATE raw.submission
SET claimed_at = now()
WHERE submission_id = %(submission_id)s
  AND status = ANY (%(expected)s)
  AND claimed_by = %(run_id)s
RETURNING row_count;
