-- Makes one version of a registry file the one in force: the file's version loaded before is superseded.
-- reads: raw.exclusion_file; writes: raw.exclusion_file.
UPDATE raw.exclusion_file
SET status = 'superseded', decided_at = now()
WHERE province = %(province)s AND source_uri = %(source_uri)s AND status = 'loaded' AND file_id <> %(file_id)s;
UPDATE raw.exclusion_file
SET status = 'loaded', row_count = coalesce(%(rows)s, row_count), reasons = '[]'::jsonb, decided_at = now()
WHERE file_id = %(file_id)s;
