-- One branch of stage/build_checked.sql's lookups: a programme of the file not limited over a lifetime and one
-- key (kk_hash or nik_hash), both filled in by stage.lookup_branches, the programme as a constant. The file's
-- distinct keys of that programme, sorted on the key alone, beside the covering index's entries of the programme
-- in the file's year's months: in_year counts the months each key was paid in. Only the keys the file's month
-- takes over the programme's yearly limit (a constant, from stage/file_programmes.sql) come back: the checked
-- table asks of each row only whether it breaks the limit, and a key under it reads there as one never seen (a
-- JAMSOS household paid every month, the common case, is no match to write and join). It ends in UNION ALL: the
-- file's repeated keys follow the lookups.
-- reads: staging.submission_<id>_<run>_ids, core.distribution; writes: nothing.
SELECT {kind} AS kind, f.{key} AS key_hash, {programme}::text AS kode_program, count(*) AS in_year,
       NULL::bigint AS in_lifetime
FROM (SELECT DISTINCT {key} FROM {ids} WHERE {key} IS NOT NULL AND kode_program = {programme}) AS f
JOIN core.distribution AS d ON d.kode_program = {programme} AND d.{key} = f.{key}
WHERE d.periode = ANY (%(year_periods)s::text[]) AND d.batch_id + 0 = ANY (%(year_batches)s::bigint[])
GROUP BY f.{key}
HAVING 1 + count(*) > {max_per_year}
UNION ALL
