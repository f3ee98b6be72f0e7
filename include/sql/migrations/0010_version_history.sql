-- The version history of every kab/kota-month: each file received, what became of it and which load is current.
-- reads: nothing; writes: core.kabkota_month_version (view over raw.submission, core.load_batch, core.kabkota_month).

-- One row per received file (distinct content) of a kab/kota-month, oldest first. versi counts the files in
-- landing order; is_current marks the file whose load the marts count. A rejected file has no batch.
CREATE VIEW core.kabkota_month_version AS
SELECT s.province,
       s.periode,
       s.kode_kabkota,
       row_number() OVER (PARTITION BY s.province, s.periode, s.kode_kabkota
                          ORDER BY s.landed_at, s.submission_id)         AS versi,
       s.submission_id,
       s.landed_at,
       s.status,
       s.row_count,
       s.sha256,
       b.batch_id,
       b.loaded_at,
       b.superseded_at,
       b.superseded_by,
       coalesce(km.current_batch_id = b.batch_id, false)                  AS is_current
FROM raw.submission AS s
LEFT JOIN core.load_batch AS b ON b.submission_id = s.submission_id
LEFT JOIN core.kabkota_month AS km
       ON km.province = s.province AND km.periode = s.periode AND km.kode_kabkota = s.kode_kabkota;

COMMENT ON VIEW core.kabkota_month_version IS
    'Every file received for a kab/kota-month (one row per distinct content), its status, its load batch '
    'if it was accepted, and whether that batch is the one the marts count (is_current).';
