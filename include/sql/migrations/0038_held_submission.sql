-- A correction for a locked (approved) kab/kota-month is held, not merged (issue 13): a submission's answer may be
-- "held" until the month is unlocked; the next run then claims and merges it.
-- reads: nothing; writes: raw.submission (its status check).
ALTER TABLE raw.submission DROP CONSTRAINT submission_status_check;
ALTER TABLE raw.submission ADD CONSTRAINT submission_status_check
    CHECK (status IN ('received', 'staged', 'accepted', 'rejected', 'superseded', 'held'));

COMMENT ON COLUMN raw.submission.status IS
    'received, staged (claimed by a run), accepted (merged), rejected (quarantined), superseded (a newer file '
    'replaced it, or it landed before the one loaded), held (validated, but its kab/kota-month is locked by an '
    'approval: it waits for an unlock, then the next run merges it).';
