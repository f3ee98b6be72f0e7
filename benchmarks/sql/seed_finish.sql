-- Benchmark only, after the twelve months of seed_history.sql: the households and persons of the seeded months
-- (each with the first batch that paid it), and the indexes seed_indexes_drop.sql dropped so the rows went in without them.
INSERT INTO core.household (kk_hash, province, first_batch_id)
SELECT kk_hash, province, min(batch_id) FROM core.distribution GROUP BY kk_hash, province
ON CONFLICT (kk_hash) DO NOTHING;

INSERT INTO core.person (nik_hash, jenis_kelamin, tahun_lahir, first_batch_id)
SELECT nik_hash, 'P', 1970, min(batch_id) FROM core.distribution GROUP BY nik_hash
ON CONFLICT (nik_hash) DO NOTHING;

-- as migration 0044 defines them (covering: the rules' lookups read batch_id and periode from the index alone)
CREATE INDEX distribution_programme_kk_idx ON core.distribution (kode_program, kk_hash) INCLUDE (batch_id, periode);
CREATE INDEX distribution_programme_nik_idx ON core.distribution (kode_program, nik_hash) INCLUDE (batch_id, periode);
