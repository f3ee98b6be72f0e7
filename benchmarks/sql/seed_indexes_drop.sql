-- Benchmark only, before seed_history.sql: the rules' indexes of migration 0034 go, seed_finish.sql builds them
-- again once the twelve months are in (one sort instead of millions of index insertions).
DROP INDEX core.distribution_kk_programme_idx;
DROP INDEX core.distribution_nik_programme_idx;
