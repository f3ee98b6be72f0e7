-- Drops the raw staging table once the checked table is built from it.
-- reads: nothing; writes: staging.submission_<id>_<run>_raw.
DROP TABLE {raw}
