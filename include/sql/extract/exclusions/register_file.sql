-- Records one version of an exclusion registry file, once per content (sha256) per file, and returns its row;
-- the same bytes seen again keep their version. reads: raw.exclusion_file; writes: raw.exclusion_file.
INSERT INTO raw.exclusion_file (province, source_uri, source_version, sha256, archive_key, size_bytes, landed_at)
VALUES (%(province)s, %(source_uri)s, %(source_version)s, %(sha256)s, %(archive_key)s, %(size_bytes)s,
        coalesce(%(landed_at)s, now()))
ON CONFLICT (province, source_uri, sha256) DO UPDATE SET archive_key = raw.exclusion_file.archive_key
RETURNING file_id, status, (xmax = 0) AS is_new;
