-- Replaces the current Kemendagri region codes with include/reference/wilayah.csv (COPY from the client).
-- reads: the CSV on STDIN; writes: ref.region.
TRUNCATE ref.region;
COPY ref.region (kode, nama, tingkat) FROM STDIN WITH (FORMAT csv, HEADER true);
