-- Cross-kab/kota integrity findings, and the masked NIK kept beside its keyed hash so that findings
-- can be shown to a person (2171********0003) without ever storing the full NIK.
-- reads: nothing; writes: core.distribution (new column), dq.integrity_finding.
ALTER TABLE core.distribution ADD COLUMN nik_masked text;

CREATE TABLE dq.integrity_finding (
    province      text NOT NULL,
    periode       text NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('nik_programme_in_two_kabkota', 'nik_in_two_households')),
    kode_program  text,
    nik_hash      bytea NOT NULL,
    nik_masked    text,
    kabkota       text[] NOT NULL,
    households    integer NOT NULL,
    occurrences   jsonb NOT NULL,
    found_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX integrity_finding_month_idx ON dq.integrity_finding (province, periode);
COMMENT ON TABLE dq.integrity_finding IS
    'After a month is merged: one NIK receiving the same programme in two kab/kota, or one NIK in two '
    'households. occurrences lists batch_id and source_line of each row, which lead back to the archived file.';

-- A view's * is expanded when it is created: recreate it so it carries the new column.
CREATE OR REPLACE VIEW core.distribution_current AS
SELECT d.*
FROM core.distribution AS d
JOIN core.kabkota_month AS km ON km.current_batch_id = d.batch_id;
