-- The province's exclusion registry (NIK no longer to be paid: died, moved away), versioned like submissions
-- and stored only as keyed hashes. reads: nothing; writes: raw.exclusion_file, core.exclusion (new tables),
-- core.exclusion_in_force (new view).

-- One row per distinct content (SHA-256) of each registry file the province dropped under
-- reference/<province>/exclusions/; the archived copy is archive/<province>/exclusions/<sha256>/<name>.
CREATE TABLE raw.exclusion_file (
    file_id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    province        text NOT NULL,
    source_uri      text NOT NULL,
    source_version  text,
    sha256          text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    archive_key     text NOT NULL,
    size_bytes      bigint NOT NULL,
    landed_at       timestamptz NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    status          text NOT NULL DEFAULT 'received'
                    CHECK (status IN ('received', 'loaded', 'rejected', 'superseded', 'withdrawn')),
    row_count       bigint,
    reasons         jsonb NOT NULL DEFAULT '[]'::jsonb,
    decided_at      timestamptz,
    UNIQUE (province, source_uri, sha256)
);
-- one version of each file in force at a time
CREATE UNIQUE INDEX exclusion_file_one_loaded ON raw.exclusion_file (province, source_uri) WHERE status = 'loaded';
COMMENT ON TABLE raw.exclusion_file IS
    'Every version (distinct SHA-256) of every exclusion registry file of a province, never deleted. status: '
    'loaded (in force: the file''s current content), rejected (a NIK, alasan or tanggal invalid: the version '
    'loaded before stays in force), superseded (an older content of a file), withdrawn (the file was removed '
    'from the registry folder), received (being loaded).';

-- The registry's rows, pseudonymised when loaded: HMAC-SHA256 of the NIK under the warehouse's key, as
-- core.distribution stores it; the clear NIK and any free text (keterangan) are never stored.
CREATE TABLE core.exclusion (
    file_id      bigint NOT NULL REFERENCES raw.exclusion_file (file_id),
    source_line  integer NOT NULL,
    nik_hash     bytea NOT NULL,
    alasan       text NOT NULL,
    tanggal      date NOT NULL,
    PRIMARY KEY (file_id, source_line)
);
CREATE INDEX exclusion_nik_hash_idx ON core.exclusion (nik_hash);
COMMENT ON TABLE core.exclusion IS
    'One row per line of a loaded exclusion registry version (every version kept); nik_hash is HMAC-SHA256 '
    'of the NIK under the warehouse''s key. A distribution to the NIK dated after tanggal is an error.';
COMMENT ON COLUMN core.exclusion.alasan IS 'why the NIK is excluded: meninggal, pindah or another reason the province lists';
COMMENT ON COLUMN core.exclusion.tanggal IS 'the date of the event; distributions dated after it are wrong';

-- The registry in force: the rows of the loaded version of each file, one row per province and NIK hash (its
-- earliest exclusion, so a distribution after that date is excluded whatever else the registry says).
CREATE VIEW core.exclusion_in_force AS
SELECT DISTINCT ON (f.province, e.nik_hash) f.province, e.nik_hash, e.alasan, e.tanggal
FROM core.exclusion AS e
JOIN raw.exclusion_file AS f ON f.file_id = e.file_id AND f.status = 'loaded'
ORDER BY f.province, e.nik_hash, e.tanggal, e.alasan;
COMMENT ON VIEW core.exclusion_in_force IS
    'The exclusion registry in force, one row per province and NIK hash: the earliest (tanggal, alasan) '
    'over the loaded version of every registry file. Read by stage/build_checked.sql.';
