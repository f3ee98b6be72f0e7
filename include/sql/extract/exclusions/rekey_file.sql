-- A registry version's new pseudonyms in a key rotation, from its archived file loaded again (the rotation's
-- pads). reads: pg_temp.exclusion_load, pg_temp.pseudonym_pads; writes: core.exclusion.
UPDATE core.exclusion AS e
SET nik_hash = core.hmac_sha256(btrim(l.nik), k.inner_pad, k.outer_pad)
FROM pg_temp.exclusion_load AS l CROSS JOIN pg_temp.pseudonym_pads AS k
WHERE e.file_id = %(file_id)s AND e.source_line = l._line + 1;
