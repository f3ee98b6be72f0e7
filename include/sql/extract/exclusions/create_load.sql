-- The registry file's lines as text, for this transaction only (the clear NIK and keterangan never outlive it).
-- reads: nothing; writes: pg_temp.exclusion_load (dropped at commit).
DROP TABLE IF EXISTS pg_temp.exclusion_load;
CREATE TEMP TABLE exclusion_load (
    _line       bigint GENERATED ALWAYS AS IDENTITY,
    nik         text,
    alasan      text,
    tanggal     text,
    keterangan  text
    {extra_columns}
) ON COMMIT DROP;
