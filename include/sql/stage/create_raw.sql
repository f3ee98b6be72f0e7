-- Creates the per-submission raw staging table: the template's columns as text, in any order, plus
-- any unknown columns the file carried. reads: nothing; writes: staging.submission_<id>_raw.
DROP TABLE IF EXISTS {raw};
CREATE UNLOGGED TABLE {raw} (
    _line           bigint GENERATED ALWAYS AS IDENTITY,
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
