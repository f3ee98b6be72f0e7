-- Takes the claim of a submission for one run (compare-and-set): a file not yet decided (or held while its month
-- was locked), not held by another run (or held longer ago than the lease), becomes staged by this run. reads: raw.submission;
-- writes: raw.submission (one row).
UPDATE raw.submission
SET claimed_by = %(run_id)s,
    claimed_at = now(),
    status = 'staged',
    row_count = NULL
WHERE submission_id = %(submission_id)s
  AND (status IN ('received', 'superseded', 'held')
       OR status = 'staged' AND (claimed_by IS NULL OR claimed_by = %(run_id)s
                                 OR claimed_at < now() - make_interval(mins => %(lease_minutes)s)))
RETURNING submission_id;
