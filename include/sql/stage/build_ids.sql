-- Stage's first statements: the file's rows trimmed, pseudonymised and tested for their shape, once per row, into
-- the work table the lookups and the checked table read (stage/build_checked.sql, run next in the same
-- transaction, which these settings last for). reads: staging.submission_<id>_raw, pg_temp.pseudonym_pads (the
-- key's pads: warehouse/pseudonyms/load_pads.sql); writes: staging.submission_<id>_<run>_ids (this transaction's
-- work, dropped at its end by build_checked.sql: an UNLOGGED table, not a temp one, so parallel workers can read
-- it).
-- The raw rows' count first (no column of the raw rows is compared: their count is enough): without it the
-- planner guessed hundreds of millions of rows after the joins, and sorted the wide rows on disk for merge
-- joins. For this
-- transaction only: work_mem so the lookups' hash tables (one entry per distinct household or person of the
-- file: 80-90 MB at 1,000,000 rows) stay in memory (128MB: at 256MB the backend reached 2.2 GB at 5,000,000
-- rows; now larger files spill in batches), and no merge joins (each sorted all the wide rows once more, on
-- disk, to join a lookup of a few rows). See docs/decisions.md (issue 14).
ANALYZE {raw} (_line);
SET LOCAL work_mem = '128MB';
SET LOCAL enable_mergejoin = off;
-- The trimmed values, the pseudonyms and the per-row facts, computed once per row (every later reference reads
-- them) into a table of this transaction, analysed, so the lookups below are planned for the file's real size.
-- The key's pads are read by two scalar subqueries, not joined: the leader evaluates them once (init plans) and
-- hands their values to the parallel workers with the plan, so for a large file (raw rows over
-- min_parallel_table_scan_size, 8 MB) the per-row work runs on every core; the pads' temp table, which only
-- this backend can read, joined to the rows kept the whole statement in one process. 1,000,000 rows: 9.2 -> 4.8 s
-- (docs/decisions.md, issue 14). The rows come out of the workers in no fixed order: the correction list orders
-- its lines by source_line, and GX's few examples of a failed rule may name other rows from one run to the next.
CREATE UNLOGGED TABLE {ids} AS
WITH r AS (
    SELECT _line + 1                           AS source_line,
           nullif(btrim(periode), '')          AS periode,
           nullif(btrim(kode_kabkota), '')     AS kode_kabkota,
           nullif(btrim(kode_kecamatan), '')   AS kode_kecamatan,
           nullif(btrim(kode_desa), '')        AS kode_desa,
           nullif(btrim(no_kk), '')            AS no_kk,
           nullif(btrim(nik), '')              AS nik,
           nullif(btrim(nama), '')             AS nama,
           upper(nullif(btrim(jenis_kelamin), '')) AS jenis_kelamin,
           nullif(btrim(tanggal_lahir), '')    AS tanggal_lahir,
           nullif(btrim(alamat), '')           AS alamat,
           upper(nullif(btrim(kode_program), '')) AS kode_program,
           nullif(btrim(nominal), '')          AS nominal,
           nullif(btrim(tanggal_salur), '')    AS tanggal_salur,
           upper(nullif(btrim(saluran), ''))   AS saluran,
           nullif(btrim(desil), '')            AS desil,
           nullif(btrim(id_kelompok), '')      AS id_kelompok
    FROM {raw}
),
ids AS (
    SELECT r.*,
           -- the warehouse's pseudonyms, for the rules that compare with earlier months and registries
           core.hmac_sha256(no_kk, (SELECT inner_pad FROM pg_temp.pseudonym_pads),
                            (SELECT outer_pad FROM pg_temp.pseudonym_pads)) AS kk_hash,
           core.hmac_sha256(nik, (SELECT inner_pad FROM pg_temp.pseudonym_pads),
                            (SELECT outer_pad FROM pg_temp.pseudonym_pads)) AS nik_hash,
           -- the cheapest test of each shape, measured per 1,000,000 rows (docs/decisions.md): a regular expression
           -- for the 16-digit keys (translate() cost 0.35 s more a column), translate() for the short nominal
           -- (the regular expression cost more there), the scientific pattern only where there is an E
           coalesce(length(nik) = 16 AND nik ~ '^[0-9]+$', false)     AS nik_is_16_digits,
           coalesce(length(no_kk) = 16 AND no_kk ~ '^[0-9]+$', false) AS no_kk_is_16_digits,
           coalesce((strpos(nik, 'e') > 0 OR strpos(nik, 'E') > 0) AND nik ~* '^[0-9]+([.,][0-9]+)?e\+?[0-9]+$', false)
                                                                        AS nik_scientific,
           coalesce((strpos(no_kk, 'e') > 0 OR strpos(no_kk, 'E') > 0) AND no_kk ~* '^[0-9]+([.,][0-9]+)?e\+?[0-9]+$', false)
                                                                        AS no_kk_scientific,
           coalesce(length(nominal) BETWEEN 1 AND 15 AND translate(nominal, '0123456789', '') = '', false)
                                                                        AS nominal_is_digits,
           -- YYYY-MM-DD and a real calendar date: ten characters, digits and two hyphens, one of them fifth
           coalesce(length(tanggal_salur) = 10 AND substr(tanggal_salur, 5, 1) = '-'
                    AND tanggal_salur ~ '^[0-9]*-[0-9]*-[0-9]*$' AND pg_input_is_valid(tanggal_salur, 'date'), false)
                                                                        AS tanggal_salur_iso,
           coalesce(length(tanggal_lahir) = 10 AND substr(tanggal_lahir, 5, 1) = '-'
                    AND tanggal_lahir ~ '^[0-9]*-[0-9]*-[0-9]*$' AND pg_input_is_valid(tanggal_lahir, 'date'), false)
                                                                        AS tanggal_lahir_iso
    FROM r
)
SELECT * FROM ids;
-- Statistics of the columns the joins below compare only (a sample of all thirty cost 30 ms for 5,000 rows, as
-- much again as building the table): the row count, the keys' distinct values and the share of 16-digit keys.
ANALYZE {ids} (kk_hash, nik_hash, kode_program, no_kk, nik, nik_is_16_digits, no_kk_is_16_digits,
                           kode_kecamatan, kode_desa);
