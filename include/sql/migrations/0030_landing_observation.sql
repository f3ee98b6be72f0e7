-- When the pipeline first saw each local landing file, and what it refused to take from a landing folder.
-- reads: nothing; writes: raw.landing_observation, raw.landing_refusal (new tables).
CREATE TABLE raw.landing_observation (
    source_uri    text NOT NULL,
    fingerprint   text NOT NULL,
    province      text NOT NULL,
    periode       text NOT NULL,
    kode_kabkota  text NOT NULL,
    modified_at   timestamptz NOT NULL,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    landed_at     timestamptz NOT NULL,
    PRIMARY KEY (source_uri, fingerprint)
);
CREATE INDEX landing_observation_month_idx ON raw.landing_observation (province, periode, kode_kabkota);
COMMENT ON TABLE raw.landing_observation IS
    'One row per landing of a local file (its path, size and modification time), written the first time '
    'the extract saw it and never changed. landed_at orders the versions of a kab/kota-month: after every '
    'landing seen before, and no later than first_seen_at (the warehouse clock); the file''s own modification '
    'time, which the uploader can set, may only move it earlier than its first sight, never before another version.';
COMMENT ON COLUMN raw.landing_observation.fingerprint IS 'size in bytes and modification time, as seen: a new value is a new landing';

CREATE TABLE raw.landing_refusal (
    source_uri    text NOT NULL,
    reason        text NOT NULL,
    province      text NOT NULL,
    periode       text NOT NULL,
    kode_kabkota  text NOT NULL,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source_uri, reason)
);
CREATE INDEX landing_refusal_month_idx ON raw.landing_refusal (province, periode, kode_kabkota);
COMMENT ON TABLE raw.landing_refusal IS
    'What a landing folder held that the extract never takes: a subfolder (files deeper than '
    '<province>/<YYYY-MM>/<kab/kota>/) or a symbolic link. Recorded and alerted once, at first sight.';
