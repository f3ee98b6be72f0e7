-- Analyses one month's partition of the fact table whose statistics are behind (stage/stale_partitions.sql),
-- in a transaction of its own, before stage plans its lookups: in stage's transaction its lock would be held to
-- the end, and the stages of other kab/kota reading that month would wait for it. The transaction holds the
-- month's analysis lock (stage/lock_partition_analysis.sql). reads: the partition (a sample); writes: its
-- statistics.
ANALYZE {partition}
