-- The month's partition of the fact table, made before its first merge, in a short transaction of its own so the
-- merge's long one never holds the parent's SHARE UPDATE EXCLUSIVE lock (migration 0043).
-- reads: the catalogue; writes: core.distribution_YYYY_MM, once per month.
SELECT core.ensure_distribution_partition(%(periode)s);
