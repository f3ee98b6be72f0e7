-- Loads an accepted submission as a new batch: its pseudonymised distributions.
-- reads: staging.submission_<id>_<run>_checked (its pseudonyms this merge's key's: merge/staged_key.sql,
-- merge/rehash_staged.sql); writes: core.load_batch, core.distribution (the month's partition).
-- The distributions go in by programme and household, the household index's order (migration 0044), so that
-- index takes them in order: each programme's entries are appended where the last ones ended, in full pages. (By
-- household alone, each programme's part of the index grows from inside it, in half-full pages: 135 MB against
-- 77 MB at 1,000,000 rows.) The order is made one programme at a time, the file's programmes in order and each
-- one's rows sorted by household: one sort on two keys, the first of a few values, compares nearly every pair on
-- both, the second read out of the wide row each time (3.1 s at 1,000,000 rows); a sort on the hash alone
-- compares a prefix kept beside each row (0.5 s), and the few programmes cost a scan of the checked table each.
-- The order is only the index's convenience: every row of the checked table goes in, NULL programme or not
-- (IS NOT DISTINCT FROM), whatever order it comes in. docs/decisions.md, "Merge's insert, one programme at a
-- time" (issue 14). This statement runs in one process (PostgreSQL writes a table from one); the households and persons
-- the warehouse does not know yet are found meanwhile on a second connection (merge/new_keys.sql) and inserted
-- after it (merge/insert_keys.sql): docs/decisions.md (issue 14).
SET LOCAL work_mem = '256MB';

-- the batch's rows as stage recorded them, which the merge has just counted in the checked table (merge.py:
-- _check_staged), not counted again (0.9 s at 5,000,000 rows)
INSERT INTO core.load_batch (submission_id, province, periode, kode_kabkota, row_count)
VALUES (%(submission_id)s, %(province)s, %(periode)s, %(kode_kabkota)s, %(rows)s);

INSERT INTO core.distribution
    (batch_id, source_line, province, periode, kode_kabkota, kode_kecamatan, kode_desa, kk_hash, nik_hash,
     kode_program, nominal, tanggal_salur, saluran, desil, id_kelompok, nik_masked)
SELECT b.batch_id, c.source_line, %(province)s, c.periode, c.kode_kabkota, c.kode_kecamatan, c.kode_desa,
       c.kk_hash, c.nik_hash, c.kode_program, c.nominal_rp, c.tanggal_salur_date, c.saluran, c.desil_num,
       c.id_kelompok, c.nik_masked
FROM (SELECT DISTINCT kode_program FROM {checked} ORDER BY kode_program) AS p
CROSS JOIN LATERAL (SELECT * FROM {checked} AS c
                    WHERE c.kode_program IS NOT DISTINCT FROM p.kode_program ORDER BY c.kk_hash) AS c
CROSS JOIN (SELECT batch_id FROM core.load_batch WHERE submission_id = %(submission_id)s) AS b;
