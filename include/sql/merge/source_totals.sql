-- The new batch's source totals per programme, after its households and persons (merge/insert_keys.sql);
-- returns the batch and its rows.
-- reads: staging.submission_<id>_<run>_checked, core.load_batch; writes: core.batch_source_total; drops the
-- two work tables of merge/new_keys.sql (with the merge's commit).
DROP TABLE {new_households}, {new_persons};

INSERT INTO core.batch_source_total (batch_id, kode_program, source_rows, source_rupiah)
SELECT (SELECT batch_id FROM core.load_batch WHERE submission_id = %(submission_id)s),
       c.kode_program, count(*), coalesce(sum(c.nominal_rp), 0)
FROM {checked} AS c
GROUP BY c.kode_program;

SELECT batch_id, row_count FROM core.load_batch WHERE submission_id = %(submission_id)s;
