-- The months' partitions the rules across months will read (build_checked.sql's lookups) whose statistics are
-- behind their rows: never analysed (the catalogue's row count unset), or changed since by more than autovacuum's
-- own threshold for analysing (50 rows and a tenth of the table), which it reaches only at its next pass. The
-- change count is the server's cumulative statistics, which a crash or a copied database starts again from zero:
-- then a month counts as fresh, as autovacuum counts it, rather than every month read being analysed again.
-- A month analysed when it held one kab/kota's batch, read after the others were merged, had its batch filter
-- estimated at a few rows of thousands, and the planner merge-joined a file's keys to it on the programme
-- alone: 247 million comparisons, 49 s for a 5,600-row file in the demo (docs/decisions.md, "Fresh statistics
-- before the lookups").
-- stage/analyze_partition.sql analyses each, on a connection of its own. reads: pg_inherits, pg_class,
-- pg_stat_user_tables; writes: nothing.
SELECT s.schemaname, s.relname
FROM pg_inherits AS i
JOIN pg_class AS c ON c.oid = i.inhrelid
JOIN pg_stat_user_tables AS s ON s.relid = i.inhrelid
WHERE i.inhparent = 'core.distribution'::regclass
  AND s.relname = ANY (SELECT 'distribution_' || replace(p, '-', '_') FROM unnest(%(periods)s::text[]) AS p)
  AND (c.reltuples < 0 OR s.n_mod_since_analyze > 50 + 0.1 * c.reltuples)
ORDER BY s.relname
