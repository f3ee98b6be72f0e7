-- Creates the per-submission raw staging table: the template's columns as text, in any order, plus
-- any unknown columns the file carried. reads: nothing; writes: staging.submission_<id>_raw.
-- The line numbers come from the identity's sequence, 100,000 values fetched at a time: the one COPY that fills
-- the table (one session) still numbers its rows 1, 2, 3 ... in file order, and skips the sequence's lock and
-- update per row (COPY of 1,000,000 rows 1.14 -> 0.99 s, medians of five; docs/decisions.md, issue 14).
DROP TABLE IF EXISTS {raw};
CREATE UNLOGGED TABLE {raw} (
    _line           bigint GENERATED ALWAYS AS IDENTITY (CACHE 100000),
    periode         text,
    kode_kabkota    text,
    kode_kecamatan  text,
    kode_desa       text,
    no_kk           text,
    nik             text,
    nama            text,
    jenis_kelamin   text,
    tanggal_lahir   text,
    alamat          text,
    kode_program    text,
    nominal         text,
    tanggal_salur   text,
    saluran         text,
    desil           text,
    id_kelompok     text
    {extra_columns}
);
