-- The fingerprint of the key the warehouse's pseudonyms were computed with, if any yet, read without the key
-- lock: stage compares it before hashing a file's identifiers (merge checks again under the lock).
-- reads: core.pseudonym_key; writes: nothing.
SELECT fingerprint FROM core.pseudonym_key WHERE retired_at IS NULL;
