-- KK assisted and Rupiah per kab/kota and programme of one month and of the month before (the request's change
-- against the previous month), from the current batches. reads: core.distribution_current, ref.programme;
-- writes: nothing.
WITH months AS (
    SELECT %(periode)s AS periode,
           to_char(to_date(%(periode)s || '-01', 'YYYY-MM-DD') - interval '1 month', 'YYYY-MM') AS previous
),
figures AS (
    SELECT d.kode_kabkota,
           d.kode_program,
           d.periode = m.periode       AS this_month,
           count(DISTINCT d.kk_hash)   AS kk,
           sum(d.nominal)::bigint      AS rupiah
    FROM core.distribution_current AS d
    CROSS JOIN months AS m
    WHERE d.province = %(province)s AND d.periode IN (m.periode, m.previous)
    GROUP BY 1, 2, 3
)
SELECT f.kode_kabkota,
       f.kode_program,
       coalesce(p.nama, f.kode_program)                           AS nama_program,
       coalesce(max(f.kk) FILTER (WHERE f.this_month), 0)         AS kk,
       coalesce(max(f.rupiah) FILTER (WHERE f.this_month), 0)     AS rupiah,
       coalesce(max(f.kk) FILTER (WHERE NOT f.this_month), 0)     AS kk_previous,
       coalesce(max(f.rupiah) FILTER (WHERE NOT f.this_month), 0) AS rupiah_previous
FROM figures AS f
LEFT JOIN ref.programme AS p ON p.province = %(province)s AND p.kode_program = f.kode_program
GROUP BY f.kode_kabkota, f.kode_program, p.nama, p.sort_order
ORDER BY f.kode_kabkota, p.sort_order NULLS LAST, f.kode_program;
