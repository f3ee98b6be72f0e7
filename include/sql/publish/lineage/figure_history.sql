-- One figure across the publications of its province-year: what was published, when (NULL bulan, kab/kota
-- or programme = the total, as in mart.distribution_summary). reads: mart.publication, mart.publication_figure;
-- writes: nothing.
SELECT p.publication_id,
       p.published_at,
       f.kk_assisted,
       f.kk_sum_programmes,
       f.persons,
       f.distributions,
       f.total_rupiah
FROM mart.publication AS p
LEFT JOIN mart.publication_figure AS f
       ON f.publication_id = p.publication_id
      AND f.bulan IS NOT DISTINCT FROM %(bulan)s::integer
      AND f.kode_kabkota IS NOT DISTINCT FROM %(kode_kabkota)s::text
      AND f.kode_program IS NOT DISTINCT FROM %(kode_program)s::text
WHERE p.province = %(province)s AND p.tahun = %(tahun)s
ORDER BY p.publication_id;
