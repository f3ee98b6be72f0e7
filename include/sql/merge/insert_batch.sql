-- Loads an accepted submission as a new batch: pseudonymised distributions, households and persons.
-- reads: staging.submission_<id>_checked; writes: core.load_batch, core.distribution, core.household,
-- core.person, core.batch_source_total.
-- Identifiers are hashed here with HMAC-SHA256; the key arrives as its two pads in pg_temp.pseudonym_pads
-- (merge/load_pads.sql, COPY data: never in a statement text) and is never stored.
WITH batch AS (
    INSERT INTO core.load_batch (submission_id, province, periode, kode_kabkota, row_count)
    SELECT %(submission_id)s, %(province)s, %(periode)s, %(kode_kabkota)s, count(*) FROM {checked}
    RETURNING batch_id
)
INSERT INTO core.distribution
    (batch_id, source_line, province, periode, kode_kabkota, kode_kecamatan, kode_desa, kk_hash, nik_hash,
     kode_program, nominal, tanggal_salur, saluran, desil, id_kelompok, nik_masked)
SELECT batch.batch_id, c.source_line, %(province)s, c.periode, c.kode_kabkota, c.kode_kecamatan, c.kode_desa,
       core.hmac_sha256(c.no_kk, k.inner_pad, k.outer_pad),
       core.hmac_sha256(c.nik, k.inner_pad, k.outer_pad),
       c.kode_program, c.nominal_rp, c.tanggal_salur_date, c.saluran, c.desil_num, c.id_kelompok, c.nik_masked
FROM {checked} AS c CROSS JOIN batch CROSS JOIN pg_temp.pseudonym_pads AS k;

INSERT INTO core.household (kk_hash, province, first_batch_id)
SELECT DISTINCT d.kk_hash, d.province, d.batch_id
FROM core.distribution AS d
WHERE d.batch_id = (SELECT batch_id FROM core.load_batch WHERE submission_id = %(submission_id)s)
ON CONFLICT (kk_hash) DO NOTHING;

-- person attributes come from the staged row, the hash from the row just inserted (no second HMAC)
INSERT INTO core.person (nik_hash, jenis_kelamin, tahun_lahir, first_batch_id)
SELECT DISTINCT ON (d.nik_hash) d.nik_hash, c.jenis_kelamin, substr(c.tanggal_lahir, 1, 4)::integer, d.batch_id
FROM core.distribution AS d
JOIN {checked} AS c ON c.source_line = d.source_line
WHERE d.batch_id = (SELECT batch_id FROM core.load_batch WHERE submission_id = %(submission_id)s)
ORDER BY d.nik_hash, d.source_line
ON CONFLICT (nik_hash) DO NOTHING;

INSERT INTO core.batch_source_total (batch_id, kode_program, source_rows, source_rupiah)
SELECT (SELECT batch_id FROM core.load_batch WHERE submission_id = %(submission_id)s),
       c.kode_program, count(*), coalesce(sum(c.nominal_rp), 0)
FROM {checked} AS c
GROUP BY c.kode_program;

SELECT batch_id, row_count FROM core.load_batch WHERE submission_id = %(submission_id)s;
