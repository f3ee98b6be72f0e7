-- The province's programmes limited over a lifetime (ref.programme.max_per_lifetime: UEP and KUBE in Kepri), the
-- only rules that look beyond the file's calendar year: stage.lookup_constants lists the other years' batches only
-- when the province has one, and only these programmes' lookups read them (stage/lookup_lifetime.sql).
-- reads: ref.programme; writes: nothing.
SELECT kode_program
FROM ref.programme
WHERE province = %(province)s AND max_per_lifetime IS NOT NULL
ORDER BY kode_program
