-- Cheaper per-row pseudonyms and rules-across-months lookups for large files (issue 14).
-- reads: nothing; writes: core.hmac_sha256() (its volatility), core.distribution's two key indexes and its
-- autovacuum setting.
-- core.hmac_sha256 was declared IMMUTABLE around convert_to(), which is STABLE: PostgreSQL does not inline a SQL
-- function whose body is less immutable than its declaration, so every call went through the SQL-function
-- executor (8.7 s for 1,000,000 values; the same expression inlined: 2.6 s). STABLE is what it is: the bytes
-- hashed depend on the database's encoding, fixed for the database. Nothing indexes on it.
ALTER FUNCTION core.hmac_sha256(text, bytea, bytea) STABLE;

-- The rules across months read, per key and programme, only the batch a row belongs to (its kab/kota-month and
-- whether it is current come from core.kabkota_month): with batch_id in the index the lookups never visit the
-- fact table's wide rows (an index-only scan, walked beside the file's sorted keys for a large file).
DROP INDEX core.distribution_kk_programme_idx;
DROP INDEX core.distribution_nik_programme_idx;
CREATE INDEX distribution_kk_programme_idx ON core.distribution (kk_hash, kode_program) INCLUDE (batch_id);
CREATE INDEX distribution_nik_programme_idx ON core.distribution (nik_hash, kode_program) INCLUDE (batch_id);

-- An index-only scan reads the table's row only where its page is not marked all-visible, which only VACUUM does.
-- By default autovacuum visits an insert-only table after inserts of a fifth of its size (2,600,000 rows of a
-- 13,000,000-row warehouse: months of merges), so a walk of the index would fetch those rows one by one. Every
-- 100,000 inserted rows instead: a vacuum of only the pages written since, about a second per 1,000,000 rows.
ALTER TABLE core.distribution SET (autovacuum_vacuum_insert_threshold = 100000,
                                   autovacuum_vacuum_insert_scale_factor = 0);
