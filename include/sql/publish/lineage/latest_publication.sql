-- The latest publication of a province-year, if any.
-- reads: mart.publication; writes: nothing.
SELECT publication_id, published_at, batch_count, row_count
FROM mart.publication
WHERE province = %(province)s AND tahun = %(tahun)s
ORDER BY publication_id DESC
LIMIT 1;
