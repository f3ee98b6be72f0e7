-- Takes out of force the registry files no longer in the province's registry folder (their rows stay as
-- history). reads: raw.exclusion_file; writes: raw.exclusion_file.
UPDATE raw.exclusion_file
SET status = 'withdrawn', decided_at = now()
WHERE province = %(province)s AND status = 'loaded' AND NOT (source_uri = ANY (%(present)s::text[]))
RETURNING source_uri;
