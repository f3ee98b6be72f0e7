-- Copies one province's configuration file into the reference tables (kab/kota and programmes replaced).
-- reads: bind parameters from include/config/provinces/*.toml; writes: ref.province, ref.kabkota, ref.programme.
INSERT INTO ref.province (kode, nama, timezone, deadline_day)
VALUES (%(kode)s, %(nama)s, %(timezone)s, %(deadline_day)s)
ON CONFLICT (kode) DO UPDATE
SET nama = EXCLUDED.nama, timezone = EXCLUDED.timezone, deadline_day = EXCLUDED.deadline_day;

DELETE FROM ref.kabkota WHERE province = %(kode)s;
INSERT INTO ref.kabkota (kode, province, nama, short, sort_order)
SELECT k->>'kode', %(kode)s, k->>'nama', k->>'short', ord::integer
FROM jsonb_array_elements(%(kabkota)s::jsonb) WITH ORDINALITY AS t (k, ord);

DELETE FROM ref.programme WHERE province = %(kode)s;
INSERT INTO ref.programme
    (province, kode_program, nama, nominal_min, nominal_max, max_per_year, channels, is_group, sort_order,
     max_per_year_severity, max_per_lifetime, max_per_lifetime_severity, desil_max, desil_required, desil_severity,
     counting_unit)
SELECT %(kode)s, p->>'kode', p->>'nama', (p->>'nominal_min')::bigint, (p->>'nominal_max')::bigint,
       (p->>'max_per_year')::integer, ARRAY(SELECT jsonb_array_elements_text(p->'channels')),
       (p->>'group')::boolean, ord::integer,
       p->>'max_per_year_severity', (p->>'max_per_lifetime')::integer, p->>'max_per_lifetime_severity',
       (p->>'desil_max')::smallint, (p->>'desil_required')::boolean, p->>'desil_severity',
       p->>'counting_unit'
FROM jsonb_array_elements(%(programmes)s::jsonb) WITH ORDINALITY AS t (p, ord);
