-- What each accepted file said, per programme, before anything was transformed: the left side of
-- every reconciliation (source rows = rows in core = rows counted in the marts).
-- reads: nothing; writes: core.batch_source_total.
CREATE TABLE core.batch_source_total (
    batch_id       bigint NOT NULL REFERENCES core.load_batch (batch_id),
    kode_program   text NOT NULL,
    source_rows    bigint NOT NULL,
    source_rupiah  bigint NOT NULL,
    PRIMARY KEY (batch_id, kode_program)
);
