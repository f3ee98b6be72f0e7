-- One branch of stage/build_checked.sql's lookups: a programme of the file limited over a lifetime
-- (ref.programme.max_per_lifetime) and one key (kk_hash or nik_hash), both filled in by stage.lookup_branches,
-- the programme as a constant. The file's distinct keys of that programme beside the covering index's entries of
-- the programme in every month with a batch the file is compared with, earlier or later: in_lifetime counts them
-- all, in_year those of the file's year. Only the keys the file's month takes over the yearly or the lifetime
-- limit (constants, from stage/file_programmes.sql) come back, as in stage/lookup_year.sql. It ends in
-- UNION ALL: the file's repeated keys follow the lookups.
-- reads: staging.submission_<id>_<run>_ids, core.distribution; writes: nothing.
SELECT {kind} AS kind, f.{key} AS key_hash, {programme}::text AS kode_program,
       count(*) FILTER (WHERE d.batch_id = ANY (%(year_batches)s::bigint[])) AS in_year, count(*) AS in_lifetime
FROM (SELECT DISTINCT {key} FROM {ids} WHERE {key} IS NOT NULL AND kode_program = {programme}) AS f
JOIN core.distribution AS d ON d.kode_program = {programme} AND d.{key} = f.{key}
WHERE d.periode = ANY (%(all_periods)s::text[]) AND d.batch_id + 0 = ANY (%(all_batches)s::bigint[])
GROUP BY f.{key}
HAVING 1 + count(*) FILTER (WHERE d.batch_id = ANY (%(year_batches)s::bigint[])) > {max_per_year}
    OR 1 + count(*) > {max_per_lifetime}
UNION ALL
