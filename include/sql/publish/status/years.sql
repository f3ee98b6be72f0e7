-- The years of a province the status page can show (those the monthly runs have refreshed the matrix of), newest first.
-- reads: mart.submission_completeness; writes: nothing.
SELECT DISTINCT tahun
FROM mart.submission_completeness
WHERE province = %(province)s
ORDER BY tahun DESC;
