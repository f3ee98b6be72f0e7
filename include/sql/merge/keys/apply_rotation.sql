-- Replaces every pseudonym with the new key's and makes that key the current one, in the rotation's
-- transaction. reads: pg_temp.rekey_row and the maps of keys/map_rotation.sql; writes: core.distribution,
-- core.household, core.person, dq.integrity_finding, core.pseudonym_key.
UPDATE core.distribution AS d
SET kk_hash = r.kk_hash, nik_hash = r.nik_hash
FROM pg_temp.rekey_row AS r
WHERE r.batch_id = d.batch_id AND r.source_line = d.source_line;
UPDATE dq.integrity_finding AS f
SET nik_hash = m.new_hash
FROM pg_temp.person_rekey AS m
WHERE m.old_hash = f.nik_hash;
DELETE FROM core.household;
INSERT INTO core.household (kk_hash, province, first_batch_id) SELECT * FROM pg_temp.household_new;
DELETE FROM core.person;
INSERT INTO core.person (nik_hash, jenis_kelamin, tahun_lahir, first_batch_id) SELECT * FROM pg_temp.person_new;
UPDATE core.pseudonym_key SET retired_at = now() WHERE retired_at IS NULL;
INSERT INTO core.pseudonym_key (fingerprint) VALUES (%(fingerprint)s)
ON CONFLICT (fingerprint) DO UPDATE SET activated_at = now(), retired_at = NULL;
SELECT (SELECT count(*) FROM core.distribution), (SELECT count(*) FROM core.household),
       (SELECT count(*) FROM core.person);
