-- The key rotated between stage and merge (merge/staged_key.sql said so): the staged pseudonyms computed again under
-- the merge's key, in the checked table as this transaction sees it, so every statement after reads one column
-- whichever key staged the file. A rare path (a rotation waits for running merges, not for staged files).
-- reads: staging.submission_<id>_<run>_checked, pg_temp.pseudonym_pads; writes: the same checked table (its
-- kk_hash and nik_hash; rolled back with the merge if it fails).
UPDATE {checked}
SET kk_hash = core.hmac_sha256(no_kk, (SELECT inner_pad FROM pg_temp.pseudonym_pads),
                               (SELECT outer_pad FROM pg_temp.pseudonym_pads)),
    nik_hash = core.hmac_sha256(nik, (SELECT inner_pad FROM pg_temp.pseudonym_pads),
                                (SELECT outer_pad FROM pg_temp.pseudonym_pads));
