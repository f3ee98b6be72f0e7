-- A registry version's status, locked until the transaction ends, so two runs loading the registry at once
-- load a new version once. reads: raw.exclusion_file; writes: nothing (a row lock).
SELECT status FROM raw.exclusion_file WHERE file_id = %(file_id)s FOR UPDATE;
