-- Recomputes the cross-kab/kota findings of one province-month from the current batches.
-- reads: core.distribution_current; writes: dq.integrity_finding (rows of that province-month).
DELETE FROM dq.integrity_finding WHERE province = %(province)s AND periode = %(periode)s;

INSERT INTO dq.integrity_finding
    (province, periode, kind, kode_program, nik_hash, nik_masked, kabkota, households, occurrences)
SELECT d.province, d.periode, 'nik_programme_in_two_kabkota', d.kode_program, d.nik_hash, min(d.nik_masked),
       array_agg(DISTINCT d.kode_kabkota ORDER BY d.kode_kabkota), count(DISTINCT d.kk_hash),
       jsonb_agg(jsonb_build_object('kode_kabkota', d.kode_kabkota, 'batch_id', d.batch_id,
                                    'source_line', d.source_line) ORDER BY d.kode_kabkota, d.source_line)
FROM core.distribution_current AS d
WHERE d.province = %(province)s AND d.periode = %(periode)s
GROUP BY d.province, d.periode, d.kode_program, d.nik_hash
HAVING count(DISTINCT d.kode_kabkota) > 1;

INSERT INTO dq.integrity_finding
    (province, periode, kind, kode_program, nik_hash, nik_masked, kabkota, households, occurrences)
SELECT d.province, d.periode, 'nik_in_two_households', NULL, d.nik_hash, min(d.nik_masked),
       array_agg(DISTINCT d.kode_kabkota ORDER BY d.kode_kabkota), count(DISTINCT d.kk_hash),
       jsonb_agg(jsonb_build_object('kode_kabkota', d.kode_kabkota, 'batch_id', d.batch_id,
                                    'source_line', d.source_line) ORDER BY d.kode_kabkota, d.source_line)
FROM core.distribution_current AS d
WHERE d.province = %(province)s AND d.periode = %(periode)s
GROUP BY d.province, d.periode, d.nik_hash
HAVING count(DISTINCT d.kk_hash) > 1;

SELECT kind, kode_program, nik_masked, kabkota, households
FROM dq.integrity_finding
WHERE province = %(province)s AND periode = %(periode)s
ORDER BY kind, nik_masked;
