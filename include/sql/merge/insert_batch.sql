-- Loads an accepted submission as a new batch: pseudonymised distributions, households and persons.
-- reads: staging.submission_<id>_checked; writes: core.load_batch, core.distribution, core.household,
-- core.person, core.batch_source_total, and two work tables of the transaction (staging.submission_<id>_<run>_
-- new_households, _new_persons, dropped before it ends).
-- The pseudonyms are the ones stage computed (kk_hash, nik_hash: HMAC-SHA256 in one statement, under one key)
-- when they are this key's: one staged row hashed again under the pads proves the whole table
-- (pg_temp.staged_key); otherwise (the key rotated between stage and merge) they are computed here. The key
-- arrives as its two pads in pg_temp.pseudonym_pads (warehouse/pseudonyms/load_pads.sql, COPY data: never in
-- a statement text) and is never stored. The distributions go in ordered by household, so the household index
-- takes them in order instead of at random places; households and persons come from the staged rows, not from
-- the rows just written.
SET LOCAL work_mem = '256MB';

CREATE TEMP TABLE staged_key ON COMMIT DROP AS
SELECT coalesce(bool_and(c.kk_hash = core.hmac_sha256(c.no_kk, k.inner_pad, k.outer_pad)
                         AND c.nik_hash = core.hmac_sha256(c.nik, k.inner_pad, k.outer_pad)), false) AS same
FROM (SELECT no_kk, nik, kk_hash, nik_hash FROM {checked} WHERE no_kk IS NOT NULL AND nik IS NOT NULL LIMIT 1) AS c
CROSS JOIN pg_temp.pseudonym_pads AS k;
-- one row each: analysed, so the statements below are planned on the file's rows alone (unanalysed, the
-- planner took them for 880 and 2,810 rows, billions of joined rows, and sorted the whole household table
-- for an anti join a few index probes answer)
ANALYZE pg_temp.pseudonym_pads;
ANALYZE pg_temp.staged_key;

INSERT INTO core.load_batch (submission_id, province, periode, kode_kabkota, row_count)
SELECT %(submission_id)s, %(province)s, %(periode)s, %(kode_kabkota)s, count(*) FROM {checked};

INSERT INTO core.distribution
    (batch_id, source_line, province, periode, kode_kabkota, kode_kecamatan, kode_desa, kk_hash, nik_hash,
     kode_program, nominal, tanggal_salur, saluran, desil, id_kelompok, nik_masked)
SELECT b.batch_id, c.source_line, %(province)s, c.periode, c.kode_kabkota, c.kode_kecamatan, c.kode_desa,
       CASE WHEN s.same THEN c.kk_hash ELSE core.hmac_sha256(c.no_kk, k.inner_pad, k.outer_pad) END AS kk_hash,
       CASE WHEN s.same THEN c.nik_hash ELSE core.hmac_sha256(c.nik, k.inner_pad, k.outer_pad) END,
       c.kode_program, c.nominal_rp, c.tanggal_salur_date, c.saluran, c.desil_num, c.id_kelompok, c.nik_masked
FROM {checked} AS c
CROSS JOIN (SELECT batch_id FROM core.load_batch WHERE submission_id = %(submission_id)s) AS b
CROSS JOIN pg_temp.pseudonym_pads AS k CROSS JOIN pg_temp.staged_key AS s
ORDER BY 8, c.kode_program;

-- households and persons the warehouse does not know yet: the file's keys, from the staged rows (not the
-- 13,000,000-row table just written to), those already known left out by an anti-join (a month mostly pays the
-- households of earlier months), first into a work table of this transaction: an UNLOGGED table, not a temp
-- one, and the pads and staged_key read by scalar subqueries, not joined, so PostgreSQL may scan the staged
-- rows and the known keys in parallel workers (a temp table is this backend's alone; the leader evaluates the
-- subqueries once and hands their values to the workers). ON CONFLICT still settles a race with a merge of
-- another kab/kota. 1,000,000 rows, 200,000 of them new: docs/decisions.md (issue 14).
CREATE UNLOGGED TABLE {new_households} AS
SELECT DISTINCT n.kk_hash
FROM (SELECT CASE WHEN (SELECT same FROM pg_temp.staged_key) THEN c.kk_hash
                  ELSE core.hmac_sha256(c.no_kk, (SELECT inner_pad FROM pg_temp.pseudonym_pads),
                                        (SELECT outer_pad FROM pg_temp.pseudonym_pads)) END AS kk_hash
      FROM {checked} AS c) AS n
WHERE NOT EXISTS (SELECT FROM core.household AS h WHERE h.kk_hash = n.kk_hash);
INSERT INTO core.household (kk_hash, province, first_batch_id)
SELECT n.kk_hash, %(province)s, b.batch_id
FROM {new_households} AS n
CROSS JOIN (SELECT batch_id FROM core.load_batch WHERE submission_id = %(submission_id)s) AS b
ORDER BY n.kk_hash
ON CONFLICT (kk_hash) DO NOTHING;

-- person attributes come from the staged row (its first line), the hash as above (stage's, or computed again after a
-- rotation); the known persons are left out before the first line of each is chosen (knowing is per NIK)
CREATE UNLOGGED TABLE {new_persons} AS
SELECT n.nik_hash, n.jenis_kelamin, n.tahun_lahir, n.source_line
FROM (SELECT CASE WHEN (SELECT same FROM pg_temp.staged_key) THEN c.nik_hash
                  ELSE core.hmac_sha256(c.nik, (SELECT inner_pad FROM pg_temp.pseudonym_pads),
                                        (SELECT outer_pad FROM pg_temp.pseudonym_pads)) END AS nik_hash,
             c.jenis_kelamin, substr(c.tanggal_lahir, 1, 4)::integer AS tahun_lahir, c.source_line
      FROM {checked} AS c) AS n
WHERE NOT EXISTS (SELECT FROM core.person AS p WHERE p.nik_hash = n.nik_hash);
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
