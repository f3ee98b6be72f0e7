-- Benchmark only, before seed_history.sql: the rules' indexes of migration 0044 go, seed_finish.sql builds them
-- again once the twelve months are in (one sort instead of millions of index insertions).
DROP INDEX core.distribution_programme_kk_idx;
DROP INDEX core.distribution_programme_nik_idx;
