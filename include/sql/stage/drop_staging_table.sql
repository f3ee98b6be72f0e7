-- Drops a staging table if it is still there (clear NIK, names and birth dates must not outlive the branch).
-- reads: nothing; writes: staging.submission_<id>_<run>_<kind>.
DROP TABLE IF EXISTS {table}
