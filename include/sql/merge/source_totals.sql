-- The new batch's source totals per programme, summed on the merge's second connection (merge/new_keys.sql), after
-- its households and persons (merge/insert_keys.sql); returns the batch and its rows.
-- reads: staging.submission_<id>_<run>_source_totals, core.load_batch; writes: core.batch_source_total; drops the
-- three work tables of merge/new_keys.sql (with the merge's commit).
INSERT INTO core.batch_source_total (batch_id, kode_program, source_rows, source_rupiah)
SELECT (SELECT batch_id FROM core.load_batch WHERE submission_id = %(submission_id)s),
       t.kode_program, t.source_rows, t.source_rupiah
FROM {source_totals} AS t;

DROP TABLE {new_households}, {new_persons}, {source_totals};

SELECT batch_id, row_count FROM core.load_batch WHERE submission_id = %(submission_id)s;
