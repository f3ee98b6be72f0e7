-- Cheaper per-row pseudonyms and rules-across-months lookups for large files (issue 14).
-- reads: nothing; writes: core.hmac_sha256() (its volatility), core.distribution's two key indexes.
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
