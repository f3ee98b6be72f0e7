-- Maps each household's and person's pseudonym to the new key's, through the distribution rows they came
-- from, and counts those no row maps (must be 0). reads: core.distribution, core.household, core.person,
-- pg_temp.rekey_row; writes: pg_temp.household_rekey, person_rekey, household_new, person_new.
-- A warehouse that had two keys' pseudonyms of one household ends with one row (its first batch's).
CREATE TEMP TABLE household_rekey ON COMMIT DROP AS
SELECT DISTINCT d.kk_hash AS old_hash, r.kk_hash AS new_hash
FROM core.distribution AS d
JOIN pg_temp.rekey_row AS r ON r.batch_id = d.batch_id AND r.source_line = d.source_line;
CREATE TEMP TABLE person_rekey ON COMMIT DROP AS
SELECT DISTINCT d.nik_hash AS old_hash, r.nik_hash AS new_hash
FROM core.distribution AS d
JOIN pg_temp.rekey_row AS r ON r.batch_id = d.batch_id AND r.source_line = d.source_line;
CREATE TEMP TABLE household_new ON COMMIT DROP AS
SELECT DISTINCT ON (m.new_hash) m.new_hash AS kk_hash, h.province, h.first_batch_id
FROM core.household AS h
JOIN pg_temp.household_rekey AS m ON m.old_hash = h.kk_hash
ORDER BY m.new_hash, h.first_batch_id;
CREATE TEMP TABLE person_new ON COMMIT DROP AS
SELECT DISTINCT ON (m.new_hash) m.new_hash AS nik_hash, p.jenis_kelamin, p.tahun_lahir, p.first_batch_id
FROM core.person AS p
JOIN pg_temp.person_rekey AS m ON m.old_hash = p.nik_hash
ORDER BY m.new_hash, p.first_batch_id;
SELECT (SELECT count(*) FROM core.household AS h
        WHERE NOT EXISTS (SELECT 1 FROM pg_temp.household_rekey AS m WHERE m.old_hash = h.kk_hash)),
       (SELECT count(*) FROM core.person AS p
        WHERE NOT EXISTS (SELECT 1 FROM pg_temp.person_rekey AS m WHERE m.old_hash = p.nik_hash));
