-- Benchmark only, after the twelve months of seed_history.sql: the households and persons of the seeded months
-- (the same every month), and the indexes seed_indexes_drop.sql dropped so the rows went in without them.
INSERT INTO core.household (kk_hash, province, first_batch_id)
SELECT kk_hash, province, batch_id FROM core.distribution AS d
WHERE d.batch_id = (SELECT min(batch_id) FROM core.load_batch)
ON CONFLICT (kk_hash) DO NOTHING;

INSERT INTO core.person (nik_hash, jenis_kelamin, tahun_lahir, first_batch_id)
SELECT nik_hash, 'P', 1970, batch_id FROM core.distribution AS d
WHERE d.batch_id = (SELECT min(batch_id) FROM core.load_batch)
ON CONFLICT (nik_hash) DO NOTHING;

-- as migration 0039 defines them (covering: the rules' lookups read batch_id from the index alone)
CREATE INDEX distribution_kk_programme_idx ON core.distribution (kk_hash, kode_program) INCLUDE (batch_id);
CREATE INDEX distribution_nik_programme_idx ON core.distribution (nik_hash, kode_program) INCLUDE (batch_id);
