-- The reference files loaded so far, with the checksum of each as loaded.
-- reads: ref.dataset; writes: nothing.
SELECT name, checksum FROM ref.dataset
