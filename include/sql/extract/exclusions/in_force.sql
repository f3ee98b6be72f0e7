-- How many NIK the province's exclusion registry holds in force, by alasan.
-- reads: core.exclusion_in_force; writes: nothing.
SELECT alasan, count(*) FROM core.exclusion_in_force WHERE province = %(province)s GROUP BY alasan ORDER BY alasan;
