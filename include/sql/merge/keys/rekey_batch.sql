-- The new pseudonyms of one load batch, from its archived file staged again, and how many of the batch's
-- rows found none (must be 0). reads: staging.submission_<id>_checked, core.distribution,
-- pg_temp.pseudonym_pads; writes: pg_temp.rekey_row; drops the staging table (with the transaction).
INSERT INTO pg_temp.rekey_row (batch_id, source_line, kk_hash, nik_hash)
SELECT %(batch_id)s, c.source_line, core.hmac_sha256(c.no_kk, k.inner_pad, k.outer_pad),
       core.hmac_sha256(c.nik, k.inner_pad, k.outer_pad)
FROM {checked} AS c CROSS JOIN pg_temp.pseudonym_pads AS k
WHERE c.no_kk IS NOT NULL AND c.nik IS NOT NULL;
DROP TABLE {checked};
SELECT count(*)
FROM core.distribution AS d
LEFT JOIN pg_temp.rekey_row AS r ON r.batch_id = d.batch_id AND r.source_line = d.source_line
WHERE d.batch_id = %(batch_id)s AND r.batch_id IS NULL;
