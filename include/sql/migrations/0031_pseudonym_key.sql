-- The fingerprint of the pseudonymisation key each warehouse was built with, so that a merge with another
-- key is refused instead of creating a second set of pseudonyms. reads: nothing; writes: core.pseudonym_key.
-- The fingerprint is HMAC-SHA256(key, 'bansos-key-fingerprint'): it identifies the key, never reveals it.
CREATE TABLE core.pseudonym_key (
    fingerprint   text PRIMARY KEY CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
    activated_at  timestamptz NOT NULL DEFAULT now(),
    retired_at    timestamptz
);
-- at most one key in use: the row whose retired_at is NULL
CREATE UNIQUE INDEX pseudonym_key_one_current ON core.pseudonym_key ((retired_at IS NULL)) WHERE retired_at IS NULL;
COMMENT ON TABLE core.pseudonym_key IS
    'Keys the warehouse''s pseudonyms were computed with, by fingerprint; the current one has no retired_at. '
    'Set at the first merge, changed only by python -m bansos.keys rotate.';
