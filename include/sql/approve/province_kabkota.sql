-- The kab/kota codes of a province (a decision may only hold back one of them).
-- reads: ref.kabkota; writes: nothing.
SELECT kode FROM ref.kabkota WHERE province = %(province)s ORDER BY sort_order;
