-- Benchmark only, before seed_history.sql: the households of the file's monthly programme (JAMSOS), the ones a
-- steady month pays again, as the warehouse knows them (the pseudonyms stage and merge compute: HMAC-SHA256 of
-- the file's No KK and NIK under the benchmark's key, whose pads load_pads.sql put in pg_temp.pseudonym_pads).
-- reads: the file on STDIN (CSV with its header); writes: pg_temp.bench_recurring (g: 1, 2, ... in file order).
-- Parameters: rows (at most this many households recur).
CREATE TEMP TABLE bench_file (periode text, kode_kabkota text, kode_kecamatan text, kode_desa text, no_kk text,
                              nik text, nama text, jenis_kelamin text, tanggal_lahir text, alamat text,
                              kode_program text, nominal text, tanggal_salur text, saluran text, desil text,
                              id_kelompok text) ON COMMIT DROP;
COPY bench_file FROM STDIN WITH (FORMAT csv, HEADER true);
CREATE TEMP TABLE bench_recurring ON COMMIT DROP AS
SELECT row_number() OVER () AS g,
       core.hmac_sha256(f.no_kk, k.inner_pad, k.outer_pad) AS kk_hash,
       core.hmac_sha256(f.nik, k.inner_pad, k.outer_pad)   AS nik_hash
FROM (SELECT no_kk, nik FROM bench_file WHERE kode_program = 'JAMSOS' LIMIT %(rows)s) AS f
CROSS JOIN pg_temp.pseudonym_pads AS k;
CREATE UNIQUE INDEX ON bench_recurring (g);
ANALYZE bench_recurring;
