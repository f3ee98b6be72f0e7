-- Creates the warehouse layers: ref (reference data), raw (submissions as received),
-- staging (per-submission working tables), core (pseudonymised facts), dq (data quality), mart (what readers use).
-- reads: nothing; writes: schemas and tables below.

CREATE SCHEMA IF NOT EXISTS ref;
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS core;
CREATE SCHEMA IF NOT EXISTS dq;
CREATE SCHEMA IF NOT EXISTS mart;

-- Kemendagri region codes, current (wilayah.csv) and every code seen since 2016 (wilayah_history.csv).
CREATE TABLE ref.region (
    kode        text PRIMARY KEY,
    nama        text NOT NULL,
    tingkat     text NOT NULL CHECK (tingkat IN ('provinsi', 'kabupaten_kota', 'kecamatan', 'desa_kelurahan')),
    parent      text GENERATED ALWAYS AS (
                    CASE WHEN position('.' IN kode) = 0 THEN NULL
                         ELSE regexp_replace(kode, '\.[^.]+$', '') END) STORED,
    digits      text GENERATED ALWAYS AS (replace(kode, '.', '')) STORED
);
CREATE INDEX region_parent_idx ON ref.region (parent);

CREATE TABLE ref.region_history (
    kode              text PRIMARY KEY,
    nama              text NOT NULL,
    tingkat           text NOT NULL,
    pertama_tercatat  integer NOT NULL,
    masih_berlaku     boolean NOT NULL,
    digits            text GENERATED ALWAYS AS (replace(kode, '.', '')) STORED
);
CREATE INDEX region_history_digits_idx ON ref.region_history (digits);

-- The province configuration (include/config/provinces/*.toml), copied at every migration run.
CREATE TABLE ref.province (
    kode          text PRIMARY KEY,
    nama          text NOT NULL,
    timezone      text NOT NULL,
    deadline_day  integer NOT NULL
);

CREATE TABLE ref.kabkota (
    kode          text PRIMARY KEY,
    province      text NOT NULL REFERENCES ref.province (kode),
    nama          text NOT NULL,
    short         text NOT NULL,
    sort_order    integer NOT NULL
);

CREATE TABLE ref.programme (
    province      text NOT NULL REFERENCES ref.province (kode),
    kode_program  text NOT NULL,
    nama          text NOT NULL,
    nominal_min   bigint NOT NULL,
    nominal_max   bigint NOT NULL,
    max_per_year  integer NOT NULL,
    channels      text[] NOT NULL,
    is_group      boolean NOT NULL,
    sort_order    integer NOT NULL,
    PRIMARY KEY (province, kode_program)
);

-- Every file received, byte for byte archived; one row per distinct content per kab/kota-month.
CREATE TABLE raw.submission (
    submission_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    province        text NOT NULL,
    periode         text NOT NULL CHECK (periode ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    kode_kabkota    text NOT NULL,
    source_uri      text NOT NULL,
    source_version  text,
    landed_at       timestamptz NOT NULL,
    size_bytes      bigint NOT NULL,
    sha256          text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    archive_key     text NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    status          text NOT NULL DEFAULT 'received'
                    CHECK (status IN ('received', 'staged', 'accepted', 'rejected', 'superseded')),
    row_count       bigint,
    reasons         jsonb NOT NULL DEFAULT '[]'::jsonb,
    quarantine_key  text,
    decided_at      timestamptz,
    UNIQUE (province, periode, kode_kabkota, sha256)
);

-- One load of an accepted submission into core; the kab/kota-month's current batch is in core.kabkota_month.
CREATE TABLE core.load_batch (
    batch_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    submission_id   bigint NOT NULL UNIQUE REFERENCES raw.submission (submission_id),
    province        text NOT NULL,
    periode         text NOT NULL,
    kode_kabkota    text NOT NULL,
    row_count       bigint NOT NULL,
    loaded_at       timestamptz NOT NULL DEFAULT now(),
    superseded_at   timestamptz,
    superseded_by   bigint REFERENCES core.load_batch (batch_id)
);

CREATE TABLE core.kabkota_month (
    province          text NOT NULL,
    periode           text NOT NULL,
    kode_kabkota      text NOT NULL,
    current_batch_id  bigint NOT NULL REFERENCES core.load_batch (batch_id),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (province, periode, kode_kabkota)
);

-- Households and persons, keyed by HMAC-SHA256 of No KK / NIK with the province's key.
CREATE TABLE core.household (
    kk_hash        bytea PRIMARY KEY,
    province       text NOT NULL,
    first_batch_id bigint NOT NULL REFERENCES core.load_batch (batch_id)
);

CREATE TABLE core.person (
    nik_hash        bytea PRIMARY KEY,
    jenis_kelamin   text,
    tahun_lahir     integer,
    first_batch_id  bigint NOT NULL REFERENCES core.load_batch (batch_id)
);

-- Every accepted distribution row of every batch; only the current batch of a kab/kota-month counts.
CREATE TABLE core.distribution (
    batch_id        bigint NOT NULL REFERENCES core.load_batch (batch_id),
    source_line     bigint NOT NULL,
    province        text NOT NULL,
    periode         text NOT NULL,
    kode_kabkota    text NOT NULL,
    kode_kecamatan  text NOT NULL,
    kode_desa       text NOT NULL,
    kk_hash         bytea NOT NULL,
    nik_hash        bytea NOT NULL,
    kode_program    text NOT NULL,
    nominal         bigint NOT NULL,
    tanggal_salur   date NOT NULL,
    saluran         text NOT NULL,
    desil           smallint,
    id_kelompok     text,
    PRIMARY KEY (batch_id, source_line)
);

CREATE VIEW core.distribution_current AS
SELECT d.*
FROM core.distribution AS d
JOIN core.kabkota_month AS km ON km.current_batch_id = d.batch_id;

-- Validation outcomes: one row per submission and rule.
CREATE TABLE dq.rule_result (
    submission_id     bigint NOT NULL REFERENCES raw.submission (submission_id),
    run_id            text NOT NULL,
    rule              text NOT NULL,
    description       text NOT NULL,
    severity          text NOT NULL CHECK (severity IN ('error', 'warning')),
    success           boolean NOT NULL,
    element_count     bigint,
    unexpected_count  bigint,
    unexpected_pct    numeric,
    examples          jsonb NOT NULL DEFAULT '[]'::jsonb,
    checked_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (submission_id, run_id, rule)
);

-- Which version of each reference file is loaded (sha256 of the CSV), so reloads happen only on change.
CREATE TABLE ref.dataset (
    name       text PRIMARY KEY,
    checksum   text NOT NULL,
    loaded_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX region_digits_idx ON ref.region (digits);
