-- The server's settings below the recommended ones (include/config/postgresql/warehouse.conf), for prepare's
-- warning: a size or a time compared by its amount ('512MB' is below '3GB', '5min' below '30min'), any other
-- value by its text. reads: pg_settings, the server's settings; writes: nothing.
SELECT r.name, current_setting(r.name) AS current, r.value AS recommended
FROM unnest(%(names)s::text[], %(values)s::text[]) WITH ORDINALITY AS r (name, value, n)
JOIN pg_settings AS s ON s.name = r.name
WHERE CASE WHEN s.unit IN ('B', 'kB', '8kB', 'MB')
           THEN pg_size_bytes(current_setting(r.name)) < pg_size_bytes(r.value)
           WHEN s.unit IN ('us', 'ms', 's', 'min')
           THEN current_setting(r.name)::interval < r.value::interval
           ELSE current_setting(r.name) <> r.value END
ORDER BY r.n;
