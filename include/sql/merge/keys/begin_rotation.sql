-- Starts a key rotation: waits for running merges and keeps new ones out until commit, and lists the load
-- batches to re-pseudonymise with their archived files. reads: core.load_batch, raw.submission;
-- writes: pg_temp.rekey_row (one row per distribution row: its pseudonyms under the new key).
SELECT pg_advisory_xact_lock(hashtext('bansos:pseudonym_key'));
CREATE TEMP TABLE rekey_row (
    batch_id     bigint NOT NULL,
    source_line  bigint NOT NULL,
    kk_hash      bytea NOT NULL,
    nik_hash     bytea NOT NULL,
    PRIMARY KEY (batch_id, source_line)
) ON COMMIT DROP;
SELECT b.batch_id, b.submission_id, s.archive_key, b.province, b.periode, b.kode_kabkota
FROM core.load_batch AS b
JOIN raw.submission AS s ON s.submission_id = b.submission_id
ORDER BY b.batch_id;
