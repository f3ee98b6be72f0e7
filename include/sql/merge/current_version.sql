-- Locks one kab/kota-month for the rest of the transaction and returns what is loaded there now
-- and what the submission being merged is. reads: core.kabkota_month, core.load_batch,
-- raw.submission; writes: nothing (takes the kab/kota-month's transaction advisory lock).
SELECT pg_advisory_xact_lock(hashtext('merge:' || %(province)s || ':' || %(periode)s || ':' || %(kode_kabkota)s));
SELECT (SELECT landed_at FROM raw.submission WHERE submission_id = %(submission_id)s) AS new_landed_at,
       cur.submission_id                                               AS current_submission_id,
       cur_s.landed_at                                                 AS current_landed_at,
       km.current_batch_id                                             AS current_batch_id,
       (SELECT batch_id FROM core.load_batch WHERE submission_id = %(submission_id)s) AS existing_batch_id
FROM (SELECT 1) AS one
LEFT JOIN core.kabkota_month AS km
       ON km.province = %(province)s AND km.periode = %(periode)s AND km.kode_kabkota = %(kode_kabkota)s
LEFT JOIN core.load_batch AS cur ON cur.batch_id = km.current_batch_id
LEFT JOIN raw.submission AS cur_s ON cur_s.submission_id = cur.submission_id;
