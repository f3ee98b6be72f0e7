-- The new batch's households and persons, each with the batch it first came in.
-- reads: staging.submission_<id>_<run>_new_households, _new_persons (merge/new_keys.sql: each key once, in key
-- order, a person with its first line's attributes); writes: core.household, core.person.
-- Plain inserts, in a savepoint: the work tables hold only keys the warehouse did not know when
-- merge/new_keys.sql looked, so a conflict is a race with a merge of another kab/kota that added one of them
-- since. That race fails an insert with a unique violation (after waiting for the other merge's commit); the
-- merge then rolls back to the savepoint, leaves out the keys now known (merge/forget_known_keys.sql) and runs
-- this again. ON CONFLICT DO NOTHING, which settled the race in the statement itself, cost a speculative
-- insertion per row: 4,200,000 new households and persons 22.2 and 22.2 s with it, 14.6 and 14.4 s plain, 12.6
-- and 12.6 s plain from tables already in key order (docs/decisions.md, "The new keys by plain inserts").
SAVEPOINT new_keys;
INSERT INTO core.household (kk_hash, province, first_batch_id)
SELECT n.kk_hash, %(province)s, b.batch_id
FROM {new_households} AS n
CROSS JOIN (SELECT batch_id FROM core.load_batch WHERE submission_id = %(submission_id)s) AS b;

-- a person's attributes from its first line in the file
INSERT INTO core.person (nik_hash, jenis_kelamin, tahun_lahir, first_batch_id)
SELECT n.nik_hash, n.jenis_kelamin, n.tahun_lahir, b.batch_id
FROM {new_persons} AS n
CROSS JOIN (SELECT batch_id FROM core.load_batch WHERE submission_id = %(submission_id)s) AS b;
RELEASE SAVEPOINT new_keys;
