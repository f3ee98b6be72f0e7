-- The file's programmes that the province's catalogue knows, in order, each with its yearly limit, its lifetime
-- limit (NULL: none) and whether it counts persons (then no household limit holds): stage/build_checked.sql
-- looks up each one's persons, and households unless it counts persons, in a branch of its own
-- (stage/lookup_year.sql, stage/lookup_lifetime.sql). A programme the catalogue does not know has no limit to
-- break (its rows fail programme_known), so it is not looked up. reads: staging.submission_<id>_<run>_ids,
-- ref.programme; writes: nothing.
SELECT p.kode_program, p.max_per_year, p.max_per_lifetime, p.counting_unit = 'persons' AS counts_persons
FROM (SELECT DISTINCT kode_program FROM {ids}) AS f
JOIN ref.programme AS p ON p.province = %(province)s AND p.kode_program = f.kode_program
ORDER BY p.kode_program
