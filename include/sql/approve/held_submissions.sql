-- The submissions of one province-month answered "held: month locked" and not processed since (one kab/kota when
-- kode_kabkota is given). Ids, codes and counts only: no file name (it can hold a NIK).
-- reads: raw.submission; writes: nothing.
SELECT submission_id, kode_kabkota, row_count, decided_at
FROM raw.submission
WHERE province = %(province)s AND periode = %(periode)s AND status = 'held'
  AND (%(kode_kabkota)s::text IS NULL OR kode_kabkota = %(kode_kabkota)s)
ORDER BY kode_kabkota, submission_id;
