-- What a submission is now and which run holds it, to say why a step did not go on.
-- reads: raw.submission; writes: nothing.
SELECT status, claimed_by, claimed_at FROM raw.submission WHERE submission_id = %(submission_id)s;
