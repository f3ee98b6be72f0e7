-- Counts the rows of a claim's checked staging table, to compare with what stage recorded.
-- reads: staging.submission_<id>_<run>_checked; writes: nothing.
SELECT count(*) FROM {checked};
