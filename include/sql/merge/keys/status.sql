-- The keys this warehouse's pseudonyms were computed with, by fingerprint, oldest first.
-- reads: core.pseudonym_key; writes: nothing.
SELECT fingerprint, activated_at, retired_at FROM core.pseudonym_key ORDER BY activated_at, fingerprint
