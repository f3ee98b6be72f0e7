-- Benchmark only: one earlier accepted month of the kab/kota, written straight into the warehouse (no file),
-- so the measured month meets a steady-state warehouse: twelve current batches, their indexes, households and
-- persons. The same households every month (as a monthly programme pays them); their pseudonyms never equal a
-- synthetic file's (a file's are HMACs of 16-digit NIK / No KK), so the rules across months find no repeat.
-- Parameters: province, periode, kode_kabkota, rows.
WITH sub AS (
    INSERT INTO raw.submission (province, periode, kode_kabkota, source_uri, landed_at, size_bytes, sha256,
                                archive_key, status, row_count, decided_at)
    VALUES (%(province)s, %(periode)s, %(kode_kabkota)s, 'benchmark://history', now() - interval '1 day', 0,
            encode(sha256(convert_to('history ' || %(periode)s, 'UTF8')), 'hex'), 'benchmark/history',
            'accepted', %(rows)s, now())
    RETURNING submission_id
)
INSERT INTO core.load_batch (submission_id, province, periode, kode_kabkota, row_count)
SELECT submission_id, %(province)s, %(periode)s, %(kode_kabkota)s, %(rows)s FROM sub;

INSERT INTO core.distribution
    (batch_id, source_line, province, periode, kode_kabkota, kode_kecamatan, kode_desa, kk_hash, nik_hash,
     kode_program, nominal, tanggal_salur, saluran, desil, id_kelompok, nik_masked)
SELECT b.batch_id, g + 1, %(province)s, %(periode)s, %(kode_kabkota)s, w.kecamatan, w.desa,
       sha256(convert_to('history kk ' || g, 'UTF8')), sha256(convert_to('history nik ' || g, 'UTF8')),
       'JAMSOS', 300000, (%(periode)s || '-15')::date, 'NONTUNAI', 3, NULL, '2171********' || lpad((g %% 10000)::text, 4, '0')
FROM core.load_batch AS b
CROSS JOIN (SELECT d.parent AS kecamatan, d.kode AS desa FROM ref.region AS d
            WHERE d.tingkat = 'desa_kelurahan' AND d.parent LIKE %(kode_kabkota)s || '.%%' ORDER BY d.kode LIMIT 1) AS w
CROSS JOIN generate_series(1, %(rows)s) AS g
WHERE b.province = %(province)s AND b.periode = %(periode)s AND b.kode_kabkota = %(kode_kabkota)s;

INSERT INTO core.batch_source_total (batch_id, kode_program, source_rows, source_rupiah)
SELECT max(batch_id), 'JAMSOS', %(rows)s, 300000::bigint * %(rows)s FROM core.load_batch;

INSERT INTO core.kabkota_month (province, periode, kode_kabkota, current_batch_id)
SELECT %(province)s, %(periode)s, %(kode_kabkota)s, max(batch_id) FROM core.load_batch;
