-- Whether the pseudonyms stage computed (kk_hash, nik_hash of the checked table: HMAC-SHA256 in one statement, under
-- one key) are this merge's key's: one staged row hashed again under the pads proves the whole table. They are not
-- when the key rotated between stage and merge; merge/rehash_staged.sql then computes them again.
-- reads: staging.submission_<id>_<run>_checked, pg_temp.pseudonym_pads (the key's pads as COPY data:
-- warehouse/pseudonyms/load_pads.sql, never in a statement text); writes: nothing.
SELECT coalesce(bool_and(c.kk_hash = core.hmac_sha256(c.no_kk, k.inner_pad, k.outer_pad)
                         AND c.nik_hash = core.hmac_sha256(c.nik, k.inner_pad, k.outer_pad)), false) AS same
FROM (SELECT no_kk, nik, kk_hash, nik_hash FROM {checked} WHERE no_kk IS NOT NULL AND nik IS NOT NULL LIMIT 1) AS c
CROSS JOIN pg_temp.pseudonym_pads AS k;
