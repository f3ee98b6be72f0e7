-- Records one received file, once per content (sha256) per kab/kota-month, and returns its row.
-- The same bytes landed again keep their submission; landed_at moves to the newest landing.
-- reads: raw.submission; writes: raw.submission.
INSERT INTO raw.submission
    (province, periode, kode_kabkota, source_uri, source_version, landed_at, size_bytes, sha256, archive_key)
VALUES (%(province)s, %(periode)s, %(kode_kabkota)s, %(source_uri)s, %(source_version)s, %(landed_at)s,
        %(size_bytes)s, %(sha256)s, %(archive_key)s)
ON CONFLICT (province, periode, kode_kabkota, sha256) DO UPDATE
SET landed_at = greatest(raw.submission.landed_at, EXCLUDED.landed_at)
RETURNING submission_id, status, (xmax = 0) AS is_new;
