-- One stage at a time analyses a month's partition (stage.freshen_statistics): the lock of the transaction that
-- analyses it, taken before stage/stale_partitions.sql is asked again. A stage that found the month stale while
-- another was analysing it waits here, then finds it fresh and does not analyse it a second time (ANALYZE
-- excludes another ANALYZE of the same table, so each would have waited for the one before and sampled the month
-- again). reads: nothing; writes: an advisory lock, to the transaction's end.
SELECT pg_advisory_xact_lock(hashtext('analyse:' || %(partition)s))
