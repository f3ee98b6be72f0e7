-- For every figure the marts publish for a province-year: rows and Rupiah in the accepted files, in core and in the marts.
-- reads: core.kabkota_month, core.load_batch, raw.submission, core.batch_source_total, core.distribution, mart.distribution_by_region, mart.distribution_summary; writes: nothing.
WITH cur AS (
    SELECT km.kode_kabkota,
           substr(km.periode, 6, 2)::integer           AS bulan,
           (substr(km.periode, 6, 2)::integer + 2) / 3 AS triwulan,
           km.current_batch_id                         AS batch_id,
           s.row_count                                 AS file_rows
    FROM core.kabkota_month AS km
    JOIN core.load_batch AS b ON b.batch_id = km.current_batch_id
    JOIN raw.submission AS s ON s.submission_id = b.submission_id
    WHERE km.province = %(province)s
      AND km.periode BETWEEN %(tahun)s::text || '-01' AND %(tahun)s::text || '-12'
),
-- each side at its finest grain: the file ledger per kab/kota-month, the source totals recorded at merge time
-- per kab/kota-month and programme, core per kecamatan-month and programme
base AS (
    SELECT 'file' AS side, c.triwulan, c.bulan, c.kode_kabkota, NULL::text AS kode_kecamatan,
           NULL::text AS kode_program, c.file_rows::numeric AS n, NULL::numeric AS rp
    FROM cur AS c
    UNION ALL
    SELECT 'source', c.triwulan, c.bulan, c.kode_kabkota, NULL, t.kode_program, t.source_rows, t.source_rupiah
    FROM cur AS c
    JOIN core.batch_source_total AS t ON t.batch_id = c.batch_id
    UNION ALL
    -- core's rows through the current batches of the year (one index probe each): the same rows as
    -- core.distribution_current of the year, see publish/marts/refresh_distribution_by_region.sql
    SELECT 'core', (substr(d.periode, 6, 2)::integer + 2) / 3, substr(d.periode, 6, 2)::integer, d.kode_kabkota,
           d.kode_kecamatan, d.kode_program, count(*), sum(d.nominal)
    FROM core.kabkota_month AS km
    JOIN core.distribution AS d ON d.batch_id = km.current_batch_id
    WHERE km.province = %(province)s
      AND km.periode BETWEEN %(tahun)s::text || '-01' AND %(tahun)s::text || '-12'
      AND d.province = %(province)s
      AND d.periode BETWEEN %(tahun)s::text || '-01' AND %(tahun)s::text || '-12'
    GROUP BY d.periode, d.kode_kabkota, d.kode_kecamatan, d.kode_program
),
-- rolled up to every level the marts publish (the same 18 grouping sets as the distribution mart)
rolled AS (
    SELECT side,
           grouping(triwulan, bulan)              AS gp,
           grouping(kode_kabkota, kode_kecamatan) AS gw,
           grouping(kode_program)                 AS gprog,
           triwulan, bulan, kode_kabkota, kode_kecamatan, kode_program,
           sum(n) AS n, sum(rp) AS rp
    FROM base
    GROUP BY side,
             GROUPING SETS ((), (triwulan), (triwulan, bulan)),
             GROUPING SETS ((), (kode_kabkota), (kode_kabkota, kode_kecamatan)),
             GROUPING SETS ((), (kode_program))
),
-- what the marts say, mapped to the same levels
published AS (
    SELECT 'mart' AS side,
           CASE jenis_periode WHEN 'tahun' THEN 3 WHEN 'triwulan' THEN 1 ELSE 0 END     AS gp,
           CASE tingkat WHEN 'provinsi' THEN 3 WHEN 'kabupaten_kota' THEN 1 ELSE 0 END AS gw,
           CASE WHEN kode_program IS NULL THEN 1 ELSE 0 END                            AS gprog,
           triwulan, bulan, kode_kabkota, kode_kecamatan, kode_program,
           distributions::numeric AS n, total_rupiah::numeric AS rp
    FROM mart.distribution_by_region
    WHERE province = %(province)s AND tahun = %(tahun)s
    UNION ALL
    SELECT 'summary',
           CASE WHEN bulan IS NULL THEN 3 ELSE 0 END,
           CASE WHEN kode_kabkota IS NULL THEN 3 ELSE 1 END,
           CASE WHEN kode_program IS NULL THEN 1 ELSE 0 END,
           (bulan + 2) / 3, bulan, kode_kabkota, NULL, kode_program,
           distributions, total_rupiah
    FROM mart.distribution_summary
    WHERE province = %(province)s AND tahun = %(tahun)s
),
sides AS (
    SELECT * FROM rolled
    WHERE (side = 'core')
       OR (side = 'source' AND gw <> 0)
       OR (side = 'file' AND gw <> 0 AND gprog = 1)
    UNION ALL
    SELECT * FROM published
)
SELECT CASE gp WHEN 3 THEN 'tahun' WHEN 1 THEN 'triwulan' ELSE 'bulan' END      AS jenis_periode,
       CASE gp WHEN 3 THEN %(tahun)s::text
               WHEN 1 THEN %(tahun)s::text || '-T' || triwulan
               ELSE %(tahun)s::text || '-' || lpad(bulan::text, 2, '0') END        AS periode,
       CASE gw WHEN 3 THEN 'provinsi' WHEN 1 THEN 'kabupaten_kota' ELSE 'kecamatan' END AS tingkat,
       coalesce(kode_kecamatan, kode_kabkota, %(province)s)                       AS kode_wilayah,
       kode_program,
       sum(n) FILTER (WHERE side = 'file')::bigint     AS file_rows,
       sum(n) FILTER (WHERE side = 'source')::bigint   AS source_rows,
       sum(n) FILTER (WHERE side = 'core')::bigint     AS core_rows,
       sum(n) FILTER (WHERE side = 'mart')::bigint     AS mart_rows,
       sum(n) FILTER (WHERE side = 'summary')::bigint  AS summary_rows,
       sum(rp) FILTER (WHERE side = 'source')::bigint  AS source_rupiah,
       sum(rp) FILTER (WHERE side = 'core')::bigint    AS core_rupiah,
       sum(rp) FILTER (WHERE side = 'mart')::bigint    AS mart_rupiah,
       sum(rp) FILTER (WHERE side = 'summary')::bigint AS summary_rupiah,
       -- which sides publish or record this figure
       gw <> 0 AND gprog = 1                           AS has_file,
       gw <> 0                                         AS has_source,
       gw <> 0 AND gp <> 1                             AS has_summary
FROM sides
GROUP BY gp, gw, gprog, triwulan, bulan, kode_kabkota, kode_kecamatan, kode_program
ORDER BY gp DESC, triwulan NULLS FIRST, bulan NULLS FIRST, gw DESC, kode_kabkota NULLS FIRST,
         kode_kecamatan NULLS FIRST, kode_program NULLS FIRST;
