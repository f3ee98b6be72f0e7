-- Records that a reference file was (re)loaded, with its checksum.
-- reads: nothing; writes: ref.dataset.
INSERT INTO ref.dataset (name, checksum) VALUES (%s, %s) ON CONFLICT (name) DO UPDATE SET checksum = EXCLUDED.checksum, loaded_at = now()
