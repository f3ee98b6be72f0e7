-- Moves a submission to its next status (staged, accepted, rejected, superseded) with its reasons.
-- reads: nothing; writes: raw.submission (one row).
UPDATE raw.submission
SET status = %(status)s,
    row_count = coalesce(%(row_count)s, row_count),
    reasons = coalesce(%(reasons)s::jsonb, reasons),
    quarantine_key = coalesce(%(quarantine_key)s, quarantine_key),
    decided_at = CASE WHEN %(status)s IN ('accepted', 'rejected', 'superseded') THEN now() ELSE decided_at END
WHERE submission_id = %(submission_id)s;
