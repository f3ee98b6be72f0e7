-- The province's programmes limited over a lifetime (ref.programme.max_per_lifetime: UEP and KUBE in Kepri), the
-- only rules that look beyond the file's calendar year: build_checked.sql reads the other years for these
-- programmes' index entries only. reads: ref.programme; writes: nothing.
SELECT kode_program
FROM ref.programme
WHERE province = %(province)s AND max_per_lifetime IS NOT NULL
ORDER BY kode_program
