-- Where one submission's Data Docs are: its province, month and kab/kota.
-- reads: raw.submission; writes: nothing.
SELECT province, periode, kode_kabkota
FROM raw.submission
WHERE submission_id = %(submission_id)s;
