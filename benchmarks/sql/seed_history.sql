-- Benchmark only: one earlier accepted month of the kab/kota, written straight into the warehouse (no file),
-- so the measured month meets a steady-state warehouse: twelve current batches, their indexes, households and
-- persons. With recurring households (the default), the month pays again the file's monthly-programme
-- households (pg_temp.bench_recurring, seed_recurring.sql: their rows are JAMSOS, 300,000) and gives the rest
-- of its rows to one-off programme households of that month alone (BSKK, 1,000,000; their pseudonyms are
-- hashes of the month and a number, never a file's): so the file's JAMSOS rows find eleven earlier months of
-- their year (twelve with the file: the programme's limit, not over it) and its households and persons are
-- known, as in a month of a running programme. With new households (--households new, the measure before
-- 2026-12-04) bench_recurring is empty and every row is one of the same JAMSOS households every month, none
-- of them the file's, so the rules across months find no repeat and every household of the file is new.
-- Parameters: province, periode, kode_kabkota, rows, recurring (true or false).
SELECT core.ensure_distribution_partition(%(periode)s);  -- the month's partition, as merge makes it
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
SELECT b.batch_id, s.i + 1, %(province)s, %(periode)s, %(kode_kabkota)s, w.kecamatan, w.desa,
       coalesce(r.kk_hash, sha256(convert_to(CASE WHEN %(recurring)s THEN 'history kk ' || %(periode)s || ' ' || s.i
                                                 ELSE 'history kk ' || s.i END, 'UTF8'))),
       coalesce(r.nik_hash, sha256(convert_to(CASE WHEN %(recurring)s THEN 'history nik ' || %(periode)s || ' ' || s.i
                                                  ELSE 'history nik ' || s.i END, 'UTF8'))),
       CASE WHEN r.g IS NOT NULL OR NOT %(recurring)s THEN 'JAMSOS' ELSE 'BSKK' END,
       CASE WHEN r.g IS NOT NULL OR NOT %(recurring)s THEN 300000 ELSE 1000000 END,
       (%(periode)s || '-15')::date, 'NONTUNAI', 3, NULL, '2171********' || lpad((s.i %% 10000)::text, 4, '0')
FROM core.load_batch AS b
CROSS JOIN (SELECT d.parent AS kecamatan, d.kode AS desa FROM ref.region AS d
            WHERE d.tingkat = 'desa_kelurahan' AND d.parent LIKE %(kode_kabkota)s || '.%%' ORDER BY d.kode LIMIT 1) AS w
CROSS JOIN generate_series(1, %(rows)s) AS s(i)
LEFT JOIN pg_temp.bench_recurring AS r ON r.g = s.i
WHERE b.province = %(province)s AND b.periode = %(periode)s AND b.kode_kabkota = %(kode_kabkota)s;

INSERT INTO core.batch_source_total (batch_id, kode_program, source_rows, source_rupiah)
SELECT batch_id, kode_program, count(*), sum(nominal) FROM core.distribution
WHERE batch_id = (SELECT max(batch_id) FROM core.load_batch)
GROUP BY batch_id, kode_program;

INSERT INTO core.kabkota_month (province, periode, kode_kabkota, current_batch_id)
SELECT %(province)s, %(periode)s, %(kode_kabkota)s, max(batch_id) FROM core.load_batch;
