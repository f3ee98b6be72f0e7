-- Records why a registry file version is rejected; the version in force before stays in force.
-- reads: raw.exclusion_file; writes: raw.exclusion_file.
UPDATE raw.exclusion_file
SET status = 'rejected', reasons = %(reasons)s::jsonb, row_count = %(rows)s, decided_at = now()
WHERE file_id = %(file_id)s AND status = 'received'
RETURNING file_id;
