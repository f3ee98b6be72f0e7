-- What is wrong in a loaded registry file, per defect: how many lines and the first line numbers (never a
-- NIK), and the unknown alasan values. reads: pg_temp.exclusion_load; writes: nothing.
WITH facts AS (
    SELECT _line + 1 AS source_line,
           lower(btrim(alasan)) AS alasan,
           coalesce(length(btrim(nik)) = 16 AND translate(btrim(nik), '0123456789', '') = '', false) AS nik_ok,
           coalesce(lower(btrim(alasan)) = ANY (%(alasan)s), false) AS alasan_ok,
           coalesce(length(btrim(tanggal)) = 10 AND translate(btrim(tanggal), '0123456789', '') = '--'
                    AND substr(btrim(tanggal), 5, 1) = '-' AND pg_input_is_valid(btrim(tanggal), 'date'), false)
               AS tanggal_ok
    FROM pg_temp.exclusion_load
)
SELECT count(*) AS rows,
       count(*) FILTER (WHERE NOT nik_ok) AS nik_bad,
       (array_agg(source_line ORDER BY source_line) FILTER (WHERE NOT nik_ok))[1:5] AS nik_lines,
       count(*) FILTER (WHERE NOT alasan_ok) AS alasan_bad,
       (array_agg(source_line ORDER BY source_line) FILTER (WHERE NOT alasan_ok))[1:5] AS alasan_lines,
       (array_agg(DISTINCT left(coalesce(alasan, ''), 40)) FILTER (WHERE NOT alasan_ok))[1:5] AS alasan_values,
       count(*) FILTER (WHERE NOT tanggal_ok) AS tanggal_bad,
       (array_agg(source_line ORDER BY source_line) FILTER (WHERE NOT tanggal_ok))[1:5] AS tanggal_lines
FROM facts;
