-- Records an entry of a landing folder that is never taken (a subfolder, a symbolic link) the first time
-- it is seen; returns a row only then, so it is alerted once. reads: nothing; writes: raw.landing_refusal.
INSERT INTO raw.landing_refusal (source_uri, reason, province, periode, kode_kabkota)
VALUES (%(source_uri)s, %(reason)s, %(province)s, %(periode)s, %(kode_kabkota)s)
ON CONFLICT (source_uri, reason) DO NOTHING
RETURNING first_seen_at;
