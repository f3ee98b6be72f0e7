-- Records the key's fingerprint at first use and returns the fingerprint of the key in use; a rotation
-- (exclusive lock) waits for running merges (shared lock). reads: core.pseudonym_key; writes: core.pseudonym_key.
SELECT pg_advisory_xact_lock_shared(hashtext('bansos:pseudonym_key'));
INSERT INTO core.pseudonym_key (fingerprint)
SELECT %(fingerprint)s
WHERE NOT EXISTS (SELECT 1 FROM core.pseudonym_key WHERE retired_at IS NULL)
ON CONFLICT DO NOTHING;
SELECT fingerprint FROM core.pseudonym_key WHERE retired_at IS NULL;
