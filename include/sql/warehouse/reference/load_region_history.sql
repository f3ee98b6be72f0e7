-- Replaces the historic region codes (2016-2025 decrees) with include/reference/wilayah_history.csv.
-- reads: the CSV on STDIN, staged as text; writes: ref.region_history.
CREATE TEMPORARY TABLE region_history_in (
    kode text, nama text, tingkat text, pertama_tercatat integer, masih_berlaku text
) ON COMMIT DROP;
COPY region_history_in FROM STDIN WITH (FORMAT csv, HEADER true);
TRUNCATE ref.region_history;
INSERT INTO ref.region_history (kode, nama, tingkat, pertama_tercatat, masih_berlaku)
SELECT kode, nama, tingkat, pertama_tercatat, masih_berlaku = 'ya' FROM region_history_in;
