-- Builds the checked staging table: trimmed template values, typed values, masked keys and one column per
-- fact the validation suite asks about, from the work table of stage/build_ids.sql, run before it in the same
-- transaction. reads: staging.submission_<id>_<run>_ids, ref.region, ref.kecamatan_digits, ref.programme,
-- core.distribution (the rules across months, by keyed hash, in the batches of stage/other_batches.sql),
-- core.exclusion_in_force (the province's exclusion registry, by NIK hash); writes: staging.submission_<id>_<run>_
-- seen (the rules across months' matches and the file's repeated keys; this transaction's work, dropped at its
-- end with _ids: UNLOGGED tables, not temp ones, so parallel workers can read them),
-- staging.submission_<id>_<run>_checked.
-- Rules across months (issue 11): the file's distinct households and persons per programme, each looked up once
-- in the current batches of every kab/kota of the province, except the kab/kota-month
-- being validated: a correction is judged against the other months, not against the version it replaces.
-- Only keys seen before that the file's month takes over a limit of their programme come back, each (key,
-- programme) once (a key under its limits would read below as one never seen; docs/decisions.md, "The lookups
-- return the keys over a limit only"): in_year counts the months of the file's calendar
-- year it was paid in, in_lifetime every year's, for the programmes limited over a lifetime only
-- (ref.programme.max_per_lifetime: UEP and KUBE in Kepri), the only rules that look beyond the year; it is NULL
-- for the others. So the other programmes are read in the file's year's months (stage/lookup_year.sql), the
-- lifetime ones in every month, earlier or later (stage/lookup_lifetime.sql: a correction of an old month meets
-- the years loaded since). The lookups are one branch of those per programme of the file the catalogue knows
-- (stage/file_programmes.sql; no other programme has a rule to break) and per key, each with its programme as a
-- constant (stage.lookup_branches): the index's entries under one programme are in key order, so the file's
-- keys are sorted on the key alone (one sort on (programme, key) compared nearly every pair of keys on both:
-- 7.3 s -> 6.4 s for these lookups at 1,000,000 rows, docs/decisions.md, "The lookups one programme at a time").
-- Each lookup names its months as constants, so the planner reads only those months'
-- partitions; the month is in the covering indexes (migration 0044), so that condition is checked on the index
-- entry; and the programme leads them, so each lookup reads its programme's entries only. A province's
-- stage no longer walks every month ever loaded (docs/decisions.md, "Lookups by year and programme", issue 14).
-- The batches compared with (the current batch of every other kab/kota-month of the province, and those of the
-- file's year) and their months arrive as lists of constants (stage/other_batches.sql), so each matched
-- index entry is judged by a hash lookup: joined to core.kabkota_month, whose statistics lag behind its few
-- fast-changing rows, the planner took them for three batches and walked every row of those batches (90 ms for
-- a 5,000-row file against one year of Kepri; 8 ms now), and a join to an analysed table of them, with hash
-- joins off here, compared each match with every batch. The warehouse side is read from the
-- covering indexes of migration 0044 (programme, key, batch_id, periode) without the table's wide rows: walked in
-- key order beside the file's sorted keys (a merge join) when the file is large, probed per key when it is small. The
-- planner chooses between the two; a sequential scan of the fact table and a hash of its 13,000,000 keys (its
-- choice otherwise, 27 CPU-s at 1,000,000 rows) are switched off for this statement only. The batches are
-- compared as `batch_id + 0`, which no index answers: with the fact table's statistics behind its growth (a run of
-- merges before autovacuum's next pass), the planner took the primary key's batch_id for the cheaper way in, read
-- every row of those batches from the table and sorted them (27 to 33 ms for a 1,500-row file against 40,000
-- rows; 7 to 9 ms probing the covering index). Each walk in one process: guessing fewer matches on that filter,
-- the planner walked an index in two workers gathered in key order for the merge join, 4.0 s against 2.8 s for
-- the same walk in one process at 1,000,000 rows (every row passes through the one process that joins anyway), so
-- no partial scans here (the two minimum sizes). PostgreSQL applies those minimums to plain tables only, not to
-- the month partitions of migration 0043; what keeps each partition's walk whole is its statistics on the filter's
-- expression, `batch_id + 0` (migration 0044, made with each month's partition): without them the planner took
-- the filter for 5.5 per cent of a partition when it is all of it, expected a few thousand matches, and sorted every
-- partition's entries on disk under a Gather Merge (the lookups 28.6 s against 7.5 s at 1,000,000 rows). The
-- lookups are one statement, a UNION ALL, so that a
-- large file's walks run side by side, one worker each (a Parallel Append): 8.4 s -> 4.7 s at 1,000,000 rows.
-- A small file's lookups are too cheap for the planner to start workers for.
SET LOCAL enable_seqscan = off;
SET LOCAL enable_hashjoin = off;
SET LOCAL enable_mergejoin = on;
SET LOCAL min_parallel_table_scan_size = '1TB';
SET LOCAL min_parallel_index_scan_size = '1TB';
CREATE UNLOGGED TABLE {seen} AS
{lookups}
-- Duplicates inside the file: the repeated keys only, grouped on the narrow keys (a window over the wide rows
-- sorted every row twice on disk), by their pseudonyms (one No KK, one hash); coalesce: a blank kode_program
-- groups as one, as a window partition did. Two more branches of the same Parallel Append, so they run beside
-- the walks above instead of after them, one process each: two statements of their own took 1.3 s at 1,000,000
-- rows with a core idle (docs/decisions.md, issue 14).
SELECT 'kk_repeated' AS kind, kk_hash AS key_hash, coalesce(kode_program, '') AS kode_program,
       NULL::bigint AS in_year, NULL::bigint AS in_lifetime
FROM {ids} WHERE kk_hash IS NOT NULL
GROUP BY 2, 3 HAVING count(*) > 1
UNION ALL
SELECT 'nik_repeated', nik_hash, coalesce(kode_program, ''), NULL, NULL
FROM {ids} WHERE nik_hash IS NOT NULL
GROUP BY 2, 3 HAVING count(*) > 1;
SET LOCAL enable_seqscan = on;
SET LOCAL enable_hashjoin = on;
SET LOCAL enable_mergejoin = off;
SET LOCAL min_parallel_table_scan_size TO DEFAULT;
SET LOCAL min_parallel_index_scan_size TO DEFAULT;
-- end of the rules across months' lookups
-- Its size, so each join below hashes the small side, not the file's wide rows (unanalysed, the planner took the
-- repeated keys for hundreds of thousands of rows and hashed 1,000,000 wide rows four times, in batches on disk).
ANALYZE {seen};
DROP TABLE IF EXISTS {checked};
CREATE UNLOGGED TABLE {checked} AS
SELECT i.*,
       -- keys safe to show in reports and alerts: 2171********0003
       CASE WHEN length(i.nik) >= 8 THEN left(i.nik, 4) || repeat('*', length(i.nik) - 8) || right(i.nik, 4)
            ELSE '****' END AS nik_masked,
       CASE WHEN length(i.no_kk) >= 8 THEN left(i.no_kk, 4) || repeat('*', length(i.no_kk) - 8) || right(i.no_kk, 4)
            ELSE '****' END AS no_kk_masked,
       -- NIK: 16 digits, not one digit repeated, serial not 0000, DDMMYY (+40 for women) a real date
       -- (each defect fires one rule: a blank NIK is 'required', 3.17E+15 is 'scientific', a short one 'format')
       i.nik IS NULL OR i.nik_scientific
           OR (i.nik_is_16_digits AND i.nik <> repeat(left(i.nik, 1), 16) AND right(i.nik, 4) <> '0000')
           AS nik_format_ok,
       CASE WHEN NOT i.nik_is_16_digits THEN true
            WHEN substr(i.nik, 7, 2)::integer BETWEEN 1 AND 71
            THEN pg_input_is_valid('20' || substr(i.nik, 11, 2) || '-' || substr(i.nik, 9, 2) || '-'
                                   || lpad(mod(substr(i.nik, 7, 2)::integer, 40)::text, 2, '0'), 'date')
            ELSE false END AS nik_date_ok,
       CASE WHEN i.nik_is_16_digits AND i.jenis_kelamin IN ('L', 'P')
            THEN (substr(i.nik, 7, 2)::integer > 40) = (i.jenis_kelamin = 'P')
            ELSE true END AS nik_sex_consistent,
       -- a kecamatan code of today or of the history (ref.kecamatan_digits, kept with the reference data by
       -- migration 0041: one hash of both lists, probed per row, a cheaper plan than a join per list and key)
       NOT i.nik_is_16_digits OR left(i.nik, 6) IN (SELECT digits FROM ref.kecamatan_digits)
           AS nik_prefix_known,
       NOT i.nik_is_16_digits OR left(i.nik, 4) = replace(%(kode_kabkota)s, '.', '') AS nik_prefix_in_kabkota,
       -- No KK: the same shape, DDMMYY the date the card was recorded
       i.no_kk IS NULL OR i.no_kk_scientific
           OR (i.no_kk_is_16_digits AND i.no_kk <> repeat(left(i.no_kk, 1), 16)
               AND right(i.no_kk, 4) <> '0000') AS no_kk_format_ok,
       NOT i.no_kk_is_16_digits
           OR pg_input_is_valid('20' || substr(i.no_kk, 11, 2) || '-' || substr(i.no_kk, 9, 2) || '-'
                                || substr(i.no_kk, 7, 2), 'date') AS no_kk_date_ok,
       NOT i.no_kk_is_16_digits OR left(i.no_kk, 6) IN (SELECT digits FROM ref.kecamatan_digits)
           AS no_kk_prefix_known,
       -- the file against its folder
       coalesce(i.periode = %(periode)s, false)            AS periode_matches_folder,
       coalesce(i.kode_kabkota = %(kode_kabkota)s, false)  AS kabkota_matches_folder,
       -- addresses inside the submitting kab/kota
       kec.kode IS NOT NULL AS kecamatan_in_kabkota,
       desa.kode IS NOT NULL AS desa_in_kecamatan,
       -- programme rules from the province's catalogue
       p.kode_program IS NOT NULL AS programme_known,
       CASE WHEN i.nominal_is_digits THEN i.nominal::bigint END AS nominal_rp,
       -- an unknown programme or channel is its own rule: the rules below judge only what they can
       i.nominal_is_digits
           AND (p.kode_program IS NULL OR i.nominal::bigint BETWEEN p.nominal_min AND p.nominal_max)
           AS nominal_in_rules,
       coalesce(p.kode_program IS NULL OR i.saluran NOT IN ('TUNAI', 'NONTUNAI') OR i.saluran = ANY (p.channels), true)
           AS saluran_allowed,
       coalesce(NOT p.is_group OR i.id_kelompok IS NOT NULL, true) AS kelompok_present,
       CASE WHEN i.tanggal_salur_iso THEN i.tanggal_salur::date END AS tanggal_salur_date,
       i.tanggal_salur_iso AND left(i.tanggal_salur, 7) = %(periode)s AS tanggal_salur_in_period,
       i.tanggal_lahir_iso AND i.tanggal_lahir BETWEEN '1900-01-01' AND %(periode)s || '-31' AS tanggal_lahir_ok,
       -- duplicates inside the file (as facts, so no rule's examples ever carry an identifier)
       -- a programme counted in persons (ref.programme.counting_unit) may pay several members of one household:
       -- its once-a-month, per-year and lifetime limits hold per NIK only
       i.no_kk IS NOT NULL AND p.counting_unit IS DISTINCT FROM 'persons' AND kk_rep.key_hash IS NOT NULL
           AS household_programme_repeated,
       i.nik IS NOT NULL AND nik_rep.key_hash IS NOT NULL AS nik_programme_repeated,
       CASE WHEN i.desil IN ('1', '2', '3', '4', '5', '6', '7', '8', '9', '10') THEN i.desil::smallint END AS desil_num,
       -- rules across months and on the target group (issue 11), from the catalogue: the programme's severity
       -- ('error' or 'warning') where the row breaks the rule, NULL where it holds; the suite asks two rules of
       -- each column, one per severity. The file's month counts once: a repeat inside it is the once-a-month
       -- rules' finding (household_programme_unique, nik_programme_unique), not a second one here.
       CASE WHEN i.kk_hash IS NOT NULL AND p.counting_unit IS DISTINCT FROM 'persons'
                 AND 1 + coalesce(kk_seen.in_year, 0) > p.max_per_year
            THEN p.max_per_year_severity END AS household_per_year_severity,
       CASE WHEN i.nik_hash IS NOT NULL AND 1 + coalesce(nik_seen.in_year, 0) > p.max_per_year
            THEN p.max_per_year_severity END AS nik_per_year_severity,
       CASE WHEN i.kk_hash IS NOT NULL AND p.counting_unit IS DISTINCT FROM 'persons'
                 AND 1 + coalesce(kk_seen.in_lifetime, 0) > p.max_per_lifetime
            THEN p.max_per_lifetime_severity END AS household_lifetime_severity,
       CASE WHEN i.nik_hash IS NOT NULL AND 1 + coalesce(nik_seen.in_lifetime, 0) > p.max_per_lifetime
            THEN p.max_per_lifetime_severity END AS nik_lifetime_severity,
       CASE WHEN i.desil IN ('1', '2', '3', '4', '5', '6', '7', '8', '9', '10')
            THEN CASE WHEN i.desil::smallint > p.desil_max THEN p.desil_severity END
            END AS desil_above_max_severity,
       -- a desil that is not 1-10 is missing too (desil_valid says what is wrong with it)
       CASE WHEN p.desil_required
                 AND (i.desil IS NULL OR i.desil NOT IN ('1', '2', '3', '4', '5', '6', '7', '8', '9', '10'))
            THEN p.desil_severity END AS desil_missing_severity,
       -- end of the rules across months and on the target group
       -- exclusion registry: a distribution dated after the NIK's exclusion names its reason ('meninggal sejak
       -- 2022-06-01'), NULL otherwise; a reason, never an identifier, so GX examples and Data Docs may show it
       CASE WHEN i.tanggal_salur_iso AND i.tanggal_salur::date > ex.tanggal
            THEN ex.alasan || ' sejak ' || to_char(ex.tanggal, 'YYYY-MM-DD') END AS excluded_reason
FROM {ids} AS i
LEFT JOIN ref.region AS kec
       ON kec.kode = i.kode_kecamatan AND kec.tingkat = 'kecamatan' AND kec.parent = %(kode_kabkota)s
LEFT JOIN ref.region AS desa
       ON desa.kode = i.kode_desa AND desa.tingkat = 'desa_kelurahan' AND desa.parent = i.kode_kecamatan
LEFT JOIN ref.programme AS p
       ON p.province = %(province)s AND p.kode_program = i.kode_program
-- rules across months (issue 11)
LEFT JOIN {seen} AS kk_seen
       ON kk_seen.kind = 'kk' AND kk_seen.key_hash = i.kk_hash AND kk_seen.kode_program = i.kode_program
LEFT JOIN {seen} AS nik_seen
       ON nik_seen.kind = 'nik' AND nik_seen.key_hash = i.nik_hash AND nik_seen.kode_program = i.kode_program
LEFT JOIN {seen} AS kk_rep
       ON kk_rep.kind = 'kk_repeated' AND kk_rep.key_hash = i.kk_hash
      AND kk_rep.kode_program = coalesce(i.kode_program, '')
LEFT JOIN {seen} AS nik_rep
       ON nik_rep.kind = 'nik_repeated' AND nik_rep.key_hash = i.nik_hash
      AND nik_rep.kode_program = coalesce(i.kode_program, '')
-- exclusion registry in force: one row per NIK hash (its earliest exclusion), so no row is repeated
LEFT JOIN core.exclusion_in_force AS ex
       ON ex.province = %(province)s AND ex.nik_hash = i.nik_hash;
-- the work tables go with the transaction's end (they hold clear NIK and No KK, like the raw rows)
DROP TABLE {ids}, {seen};
