-- The kecamatan codes a NIK or No KK may start with, kept with the reference data instead of built per stage.
-- reads: ref.region, ref.region_history; writes: ref.kecamatan_digits (a materialised view) and its index.
-- Stage asks, for every row's NIK and No KK, whether its first six digits are a kecamatan of today or of the
-- history (issue 11). It built that list as a temp table in every stage and analysed it: about 15 ms for the
-- 7,300 codes, most of a small file's stage (issue 10, item 7: `make check` stages hundreds of small files).
-- The list changes only when the reference data does: warehouse/reference/refresh.sql refreshes it in the same
-- transaction as a reload (reference.sync), and analyse.sql gives the planner its size.
CREATE MATERIALIZED VIEW ref.kecamatan_digits AS
SELECT digits FROM ref.region WHERE tingkat = 'kecamatan' AND digits IS NOT NULL
UNION
SELECT digits FROM ref.region_history WHERE tingkat = 'kecamatan' AND digits IS NOT NULL;
CREATE UNIQUE INDEX kecamatan_digits_idx ON ref.kecamatan_digits (digits);
