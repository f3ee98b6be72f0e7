-- Moves a submission to its next status (staged, accepted, rejected, superseded, held) with its reasons, only from the
-- statuses the step expects and, for a claimed step, only for the run holding the claim (compare-and-set).
-- reads: nothing; writes: raw.submission (one row).
UPDATE raw.submission
SET status = %(status)s,
    row_count = coalesce(%(row_count)s, row_count),
    reasons = coalesce(%(reasons)s::jsonb, reasons),
    quarantine_key = coalesce(%(quarantine_key)s, quarantine_key),
    decided_at = CASE WHEN %(status)s IN ('accepted', 'rejected', 'superseded', 'held') THEN now() ELSE decided_at END
WHERE submission_id = %(submission_id)s
  AND status = ANY (%(expected)s)
  AND (%(run_id)s::text IS NULL OR claimed_by = %(run_id)s)
RETURNING submission_id;
