-- Reporting and on-time rates of one province-year per month, then the whole year (bulan NULL) last.
-- reads: mart.reporting_rate; writes: nothing.
SELECT r.tahun,
       r.bulan,
       r.expected,
       r.received,
       r.on_time,
       r.late,
       r.rejected,
       r.pending,
       r.missing,
       r.reporting_rate_pct,
       r.on_time_rate_pct
FROM mart.reporting_rate AS r
WHERE r.province = %(province)s AND r.tahun = %(tahun)s
ORDER BY r.bulan NULLS LAST;
