-- The registry versions with rows in the warehouse, for a key rotation to hash again from their archived copies.
-- reads: raw.exclusion_file, core.exclusion; writes: nothing.
SELECT f.file_id, f.archive_key, f.row_count
FROM raw.exclusion_file AS f
WHERE EXISTS (SELECT 1 FROM core.exclusion AS e WHERE e.file_id = f.file_id)
ORDER BY f.file_id;
