-- The new batch's households and persons, and its source totals; returns the batch.
-- reads: staging.submission_<id>_<run>_new_households, _new_persons (merge/new_keys.sql),
-- staging.submission_<id>_<run>_checked; writes: core.household, core.person, core.batch_source_total; drops the
-- two work tables (with the merge's commit).
-- Each household and person once, with the batch it first came in; ON CONFLICT settles a race with a merge of
-- another kab/kota (or a key it added after merge/new_keys.sql looked).
INSERT INTO core.household (kk_hash, province, first_batch_id)
SELECT n.kk_hash, %(province)s, b.batch_id
FROM {new_households} AS n
CROSS JOIN (SELECT batch_id FROM core.load_batch WHERE submission_id = %(submission_id)s) AS b
ORDER BY n.kk_hash
ON CONFLICT (kk_hash) DO NOTHING;

INSERT INTO core.person (nik_hash, jenis_kelamin, tahun_lahir, first_batch_id)
SELECT DISTINCT ON (n.nik_hash) n.nik_hash, n.jenis_kelamin, n.tahun_lahir, b.batch_id
FROM {new_persons} AS n
CROSS JOIN (SELECT batch_id FROM core.load_batch WHERE submission_id = %(submission_id)s) AS b
ORDER BY n.nik_hash, n.source_line
ON CONFLICT (nik_hash) DO NOTHING;
DROP TABLE {new_households}, {new_persons};

INSERT INTO core.batch_source_total (batch_id, kode_program, source_rows, source_rupiah)
SELECT (SELECT batch_id FROM core.load_batch WHERE submission_id = %(submission_id)s),
       c.kode_program, count(*), coalesce(sum(c.nominal_rp), 0)
FROM {checked} AS c
GROUP BY c.kode_program;

SELECT batch_id, row_count FROM core.load_batch WHERE submission_id = %(submission_id)s;
