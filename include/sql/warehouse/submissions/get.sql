-- One submission as raw.submission records it.
-- reads: raw.submission; writes: nothing.
SELECT submission_id, province, periode, kode_kabkota, source_uri, sha256, archive_key, status, row_count, reasons FROM raw.submission WHERE submission_id = %s
