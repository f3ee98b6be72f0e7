-- Records the first sight of one local landing file (path, size, mtime) and returns its landed_at, which
-- orders it after every landing seen before in the kab/kota-month and never after its own first sight.
-- reads: raw.landing_observation, raw.submission; writes: raw.landing_observation.
SELECT pg_advisory_xact_lock(hashtext('landing:' || %(province)s || ':' || %(periode)s || ':' || %(kode_kabkota)s));
INSERT INTO raw.landing_observation
    (source_uri, fingerprint, province, periode, kode_kabkota, modified_at, landed_at)
SELECT %(source_uri)s, %(fingerprint)s, %(province)s, %(periode)s, %(kode_kabkota)s, %(modified_at)s,
       greatest(least(%(modified_at)s::timestamptz, now()), seen.latest + interval '1 microsecond')
FROM (SELECT max(landed_at) AS latest
      FROM (SELECT landed_at FROM raw.landing_observation
            WHERE province = %(province)s AND periode = %(periode)s AND kode_kabkota = %(kode_kabkota)s
            UNION ALL
            SELECT landed_at FROM raw.submission
            WHERE province = %(province)s AND periode = %(periode)s AND kode_kabkota = %(kode_kabkota)s) AS landed
     ) AS seen
ON CONFLICT (source_uri, fingerprint) DO NOTHING;
SELECT landed_at FROM raw.landing_observation WHERE source_uri = %(source_uri)s AND fingerprint = %(fingerprint)s;
