-- Recomputes one province-year of the completeness and timeliness matrix (kab/kota x month) as of a moment.
-- reads: ref.province, ref.kabkota, raw.submission, core.kabkota_month, core.load_batch; writes: mart.submission_completeness.
-- Run by bansos.publish.marts.refresh only, which holds the province-year's publishing lock (publish/lock_year.sql).

DELETE FROM mart.submission_completeness WHERE province = %(province)s AND tahun = %(tahun)s;

WITH p AS (
    SELECT kode, timezone, deadline_day, coalesce(%(as_of)s::timestamptz, now()) AS as_of
    FROM ref.province
    WHERE kode = %(province)s
),
m AS (
    SELECT b AS bulan,
           to_char(make_date(%(tahun)s, b, 1), 'YYYY-MM')       AS periode,
           (make_date(%(tahun)s, b, 1) + interval '1 month')::date AS next_month
    FROM generate_series(1, 12) AS b
),
-- The deadline is deadline_day of the month after the periode (clamped to that month's length); a file is on
-- time when it landed before the following midnight in the province's time zone.
dl AS (
    SELECT m.bulan,
           m.periode,
           m.next_month + (least(p.deadline_day,
                                 extract(day FROM m.next_month + interval '1 month' - interval '1 day')::integer)
                           - 1) AS deadline,
           p.timezone,
           p.as_of
    FROM m CROSS JOIN p
),
dl_end AS (
    SELECT dl.*, ((dl.deadline + 1)::timestamp AT TIME ZONE dl.timezone) AS deadline_end
    FROM dl
),
subs AS (
    SELECT periode,
           kode_kabkota,
           count(*)                                                    AS n,
           min(landed_at)                                              AS first_landed_at,
           count(*) FILTER (WHERE status = 'rejected')                 AS n_rejected,
           (array_agg(status ORDER BY landed_at DESC, submission_id DESC))[1] AS latest_status
    FROM raw.submission
    WHERE province = %(province)s
      AND periode BETWEEN %(tahun)s::text || '-01' AND %(tahun)s::text || '-12'
    GROUP BY periode, kode_kabkota
),
loaded AS (
    SELECT km.periode,
           km.kode_kabkota,
           b.row_count,
           (SELECT count(*) FROM core.load_batch AS x
            WHERE x.province = km.province AND x.periode = km.periode AND x.kode_kabkota = km.kode_kabkota) AS versions
    FROM core.kabkota_month AS km
    JOIN core.load_batch AS b ON b.batch_id = km.current_batch_id
    WHERE km.province = %(province)s
      AND km.periode BETWEEN %(tahun)s::text || '-01' AND %(tahun)s::text || '-12'
),
cells AS (
    SELECT k.kode,
           k.nama,
           d.bulan,
           d.periode,
           d.deadline,
           d.deadline_end,
           d.as_of,
           s.first_landed_at,
           coalesce(s.n, 0)          AS n,
           coalesce(s.n_rejected, 0) AS n_rejected,
           l.versions,
           l.row_count,
           CASE WHEN l.periode IS NOT NULL AND s.first_landed_at < d.deadline_end THEN 'on_time'
                WHEN l.periode IS NOT NULL                                       THEN 'late'
                WHEN s.latest_status = 'rejected'                                THEN 'rejected'
                WHEN s.n > 0                                                     THEN 'pending'
                WHEN d.as_of < d.deadline_end                                    THEN 'not_due'
                ELSE 'missing' END AS status
    FROM ref.kabkota AS k
    CROSS JOIN dl_end AS d
    LEFT JOIN subs AS s ON s.periode = d.periode AND s.kode_kabkota = k.kode
    LEFT JOIN loaded AS l ON l.periode = d.periode AND l.kode_kabkota = k.kode
    WHERE k.province = %(province)s
)
INSERT INTO mart.submission_completeness
    (province, tahun, bulan, periode, kode_kabkota, nama_kabkota, status, status_label, deadline,
     first_landed_at, days_late, submissions, rejected_submissions, versions_loaded, loaded_rows, as_of)
SELECT %(province)s,
       %(tahun)s,
       c.bulan,
       c.periode,
       c.kode,
       c.nama,
       c.status,
       CASE c.status WHEN 'on_time'  THEN 'tepat waktu'
                     WHEN 'late'     THEN 'terlambat'
                     WHEN 'rejected' THEN 'ditolak'
                     WHEN 'pending'  THEN 'sedang diproses'
                     WHEN 'missing'  THEN 'tidak ada'
                     ELSE 'belum jatuh tempo' END,
       c.deadline,
       c.first_landed_at,
       CASE WHEN c.status = 'late'
            THEN ceil(extract(epoch FROM c.first_landed_at - c.deadline_end) / 86400)::integer END,
       c.n,
       c.n_rejected,
       coalesce(c.versions, 0),
       c.row_count,
       c.as_of
FROM cells AS c;
