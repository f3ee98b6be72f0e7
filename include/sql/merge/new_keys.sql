-- The households and persons of the file the warehouse does not know yet, into two work tables (the batch's source
-- totals into a third, at the end): the file's keys, from the staged rows (not the fact table just written to), those
-- already known left out by an anti-join (a month mostly pays the households of earlier months). Run on a second
-- connection of the merge while its own inserts the distributions (merge/insert_batch.sql: one process, so this one
-- takes the other core), and committed there; after a key rotation between stage and merge, in the merge's transaction,
-- after merge/rehash_staged.sql. Read either way before the merge's households and persons are written
-- (merge/insert_keys.sql, which settles a key another merge added in between): a key known when this ran stays known
-- (keys are never deleted; a rotation waits for the merge's shared key lock), so the work tables hold every key still
-- new, and perhaps a few no longer new. Each key once, in key order, a person with its first line's attributes: the
-- sorts happen here, beside the insert, and the merge's own inserts read the tables as written (4,200,000 new keys
-- each: 12.6 s a table against 14.6 s sorting there; docs/decisions.md). In one process, no parallel workers: the
-- insert beside it keeps one core, this takes the other (1,000,000 rows, the insert and these together: 8.9 s one after
-- the other, 8.2 s side by side with parallel workers here, 6.7 s side by side without; docs/decisions.md).
-- The batch's source totals per programme are summed here too, into a third work table: one more scan of the
-- checked table on this core, not after the insert on the merge's (2.0 to 2.2 s at 5,000,000 rows).
-- reads: staging.submission_<id>_<run>_checked, core.household, core.person; writes:
-- staging.submission_<id>_<run>_new_households, _new_persons, _source_totals (dropped by merge/source_totals.sql,
-- a retry, or the staging sweep).
SET LOCAL work_mem = '256MB';
SET LOCAL max_parallel_workers_per_gather = 0;
DROP TABLE IF EXISTS {new_households}, {new_persons}, {source_totals};
CREATE UNLOGGED TABLE {new_households} AS
SELECT DISTINCT c.kk_hash
FROM {checked} AS c
WHERE NOT EXISTS (SELECT FROM core.household AS h WHERE h.kk_hash = c.kk_hash)
ORDER BY c.kk_hash;
-- a person's attributes come from its first line in the file; the known persons are left out before (knowing is
-- per NIK)
CREATE UNLOGGED TABLE {new_persons} AS
SELECT DISTINCT ON (c.nik_hash) c.nik_hash, c.jenis_kelamin, substr(c.tanggal_lahir, 1, 4)::integer AS tahun_lahir
FROM {checked} AS c
WHERE NOT EXISTS (SELECT FROM core.person AS p WHERE p.nik_hash = c.nik_hash)
ORDER BY c.nik_hash, c.source_line;

CREATE UNLOGGED TABLE {source_totals} AS
SELECT c.kode_program, count(*) AS source_rows, coalesce(sum(c.nominal_rp), 0) AS source_rupiah
FROM {checked} AS c
GROUP BY c.kode_program;
