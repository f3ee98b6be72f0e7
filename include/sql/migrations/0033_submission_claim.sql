-- The claim of a submission by one pipeline run: stage takes it, validate and merge go on only while their run
-- holds it, so one kab/kota-month is processed by one run at a time. reads: nothing; writes: raw.submission.
ALTER TABLE raw.submission
    ADD COLUMN claimed_by text,
    ADD COLUMN claimed_at timestamptz;

COMMENT ON COLUMN raw.submission.claimed_by IS
    'The pipeline run (Airflow run_id) processing this submission; only counts while status is staged.';
COMMENT ON COLUMN raw.submission.claimed_at IS
    'When the claim was taken or last renewed; an older claim than the lease may be taken over.';
