-- Adds the keyed hash used to pseudonymise NIK and No KK, and the published summary mart.
-- reads: nothing; writes: core.hmac_sha256(), mart.distribution_summary.

-- HMAC-SHA256 (RFC 2104) from the built-in sha256(): the caller passes the key already XORed with
-- the inner and outer pads, so the key itself is never stored in the database.
CREATE FUNCTION core.hmac_sha256(msg text, inner_pad bytea, outer_pad bytea)
RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT sha256(outer_pad || sha256(inner_pad || convert_to(msg, 'UTF8'))) $$;

-- Distribution summary for the provincial office, refreshed per province and year by the publish step.
-- A NULL bulan is the whole year, a NULL kode_kabkota the whole province, a NULL kode_program all programmes.
CREATE TABLE mart.distribution_summary (
    province           text NOT NULL,
    tahun              integer NOT NULL,
    bulan              integer CHECK (bulan BETWEEN 1 AND 12),
    kode_kabkota       text,
    kode_program       text,
    kk_assisted        bigint NOT NULL,
    kk_sum_programmes  bigint NOT NULL,
    persons            bigint NOT NULL,
    distributions      bigint NOT NULL,
    total_rupiah       bigint NOT NULL
);
CREATE UNIQUE INDEX distribution_summary_grain_idx ON mart.distribution_summary
    (province, tahun, coalesce(bulan, 0), coalesce(kode_kabkota, ''), coalesce(kode_program, ''));

COMMENT ON TABLE mart.distribution_summary IS
    'KK assisted, persons, distributions and Rupiah by province/kab-kota, programme, month and year. '
    'NULL bulan = whole year; NULL kode_kabkota = whole province; NULL kode_program = all programmes.';
COMMENT ON COLUMN mart.distribution_summary.kk_assisted IS
    'Distinct No KK with at least one distribution (for all programmes: distinct households).';
COMMENT ON COLUMN mart.distribution_summary.kk_sum_programmes IS
    'The province''s headline figure: distinct KK per programme summed over programmes (a household in two programmes counts twice).';
