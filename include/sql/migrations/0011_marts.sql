-- The provincial office's marts: distributions by region, period and programme; the completeness and timeliness
-- matrix with reporting rates; the data-quality summary. reads: nothing; writes: the mart tables and view below.

-- Distributions of a province-year at every published level. One row per
-- (period level x region level x programme); refreshed per province-year by include/sql/marts/refresh_*.sql.
CREATE TABLE mart.distribution_by_region (
    province                     text NOT NULL,
    tahun                        integer NOT NULL,
    jenis_periode                text NOT NULL CHECK (jenis_periode IN ('tahun', 'triwulan', 'bulan')),
    triwulan                     integer CHECK (triwulan BETWEEN 1 AND 4),
    bulan                        integer CHECK (bulan BETWEEN 1 AND 12),
    periode                      text NOT NULL,
    tingkat                      text NOT NULL CHECK (tingkat IN ('provinsi', 'kabupaten_kota', 'kecamatan')),
    kode_wilayah                 text NOT NULL,
    nama_wilayah                 text NOT NULL,
    kode_kabkota                 text,
    nama_kabkota                 text,
    kode_kecamatan               text,
    nama_kecamatan               text,
    kode_program                 text,
    nama_program                 text NOT NULL,
    kk_assisted                  bigint NOT NULL,
    kk_sum_programmes            bigint NOT NULL,
    persons                      bigint NOT NULL,
    distributions                bigint NOT NULL,
    total_rupiah                 bigint NOT NULL,
    nontunai_rupiah              bigint NOT NULL,
    avg_rupiah_per_kk            bigint NOT NULL,
    avg_rupiah_per_distribution  bigint NOT NULL,
    refreshed_at                 timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX distribution_by_region_grain_idx ON mart.distribution_by_region
    (province, tahun, jenis_periode, coalesce(triwulan, 0), coalesce(bulan, 0), kode_wilayah,
     coalesce(kode_program, ''));

COMMENT ON TABLE mart.distribution_by_region IS
    'KK assisted, persons, distributions and Rupiah by province, kab/kota and kecamatan; by year, quarter '
    '(triwulan) and month; by programme and for all programmes (kode_program NULL).';
COMMENT ON COLUMN mart.distribution_by_region.kk_assisted IS
    'Distinct households (No KK) with at least one distribution in the row''s region, period and programme.';
COMMENT ON COLUMN mart.distribution_by_region.kk_sum_programmes IS
    'KK assisted per programme summed over programmes (the province''s headline figure); equals kk_assisted '
    'on programme rows.';

-- Completeness and timeliness: one row per kab/kota and month of a province-year, as DHIS2 shows reporting.
CREATE TABLE mart.submission_completeness (
    province               text NOT NULL,
    tahun                  integer NOT NULL,
    bulan                  integer NOT NULL CHECK (bulan BETWEEN 1 AND 12),
    periode                text NOT NULL,
    kode_kabkota           text NOT NULL,
    nama_kabkota           text NOT NULL,
    status                 text NOT NULL
                           CHECK (status IN ('on_time', 'late', 'rejected', 'pending', 'missing', 'not_due')),
    status_label           text NOT NULL,
    deadline               date NOT NULL,
    first_landed_at        timestamptz,
    days_late              integer,
    submissions            integer NOT NULL,
    rejected_submissions   integer NOT NULL,
    versions_loaded        integer NOT NULL,
    loaded_rows            bigint,
    as_of                  timestamptz NOT NULL,
    refreshed_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (province, tahun, bulan, kode_kabkota)
);

COMMENT ON TABLE mart.submission_completeness IS
    'Per kab/kota and month: on time, late, rejected, pending, missing or not yet due, against the deadline '
    'day of the month after the periode in the province''s time zone.';

-- Reporting rates per month and for the whole year (bulan NULL), computed from the matrix.
CREATE VIEW mart.reporting_rate AS
SELECT province,
       tahun,
       bulan,
       count(*) FILTER (WHERE status <> 'not_due')                AS expected,
       count(*) FILTER (WHERE status IN ('on_time', 'late'))      AS received,
       count(*) FILTER (WHERE status = 'on_time')                 AS on_time,
       count(*) FILTER (WHERE status = 'late')                    AS late,
       count(*) FILTER (WHERE status = 'rejected')                AS rejected,
       count(*) FILTER (WHERE status = 'pending')                 AS pending,
       count(*) FILTER (WHERE status = 'missing')                 AS missing,
       round(100.0 * count(*) FILTER (WHERE status IN ('on_time', 'late'))
             / nullif(count(*) FILTER (WHERE status <> 'not_due'), 0), 1) AS reporting_rate_pct,
       round(100.0 * count(*) FILTER (WHERE status = 'on_time')
             / nullif(count(*) FILTER (WHERE status <> 'not_due'), 0), 1) AS on_time_rate_pct
FROM mart.submission_completeness
GROUP BY GROUPING SETS ((province, tahun, bulan), (province, tahun));

COMMENT ON VIEW mart.reporting_rate IS
    'Reporting rate (accepted extracts / expected) and on-time rate per month; bulan NULL = the whole year. '
    'Months whose deadline has not passed are not expected yet.';

-- Data quality: per kab/kota-month and validation rule, over the newest check of every file received.
CREATE TABLE mart.dq_summary (
    province              text NOT NULL,
    tahun                 integer NOT NULL,
    bulan                 integer NOT NULL CHECK (bulan BETWEEN 1 AND 12),
    periode               text NOT NULL,
    kode_kabkota          text NOT NULL,
    nama_kabkota          text NOT NULL,
    rule                  text NOT NULL,
    severity              text NOT NULL CHECK (severity IN ('error', 'warning')),
    description           text NOT NULL,
    submissions_checked   integer NOT NULL,
    submissions_failed    integer NOT NULL,
    rows_checked          bigint,
    rows_failed           bigint,
    failed_pct            numeric(6, 2),
    refreshed_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (province, tahun, bulan, kode_kabkota, rule)
);

COMMENT ON TABLE mart.dq_summary IS
    'Validation outcomes per kab/kota-month and rule: files checked and failed, rows checked and failed. '
    'Counts only; no examples, so no masked identifiers either.';
