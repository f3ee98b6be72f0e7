-- A correction list's lines: each failed rule's total of offending lines, the number of distinct offending
-- lines, and the first (line, rule) rows by line up to the cap, from two scans of the checked table that
-- keep no more than the cap (an ORDER BY ... LIMIT is a bounded top-N sort). Composed in
-- bansos.validate.correction_list from one row predicate per failed rule (validate/corrections/row_*.sql),
-- its count (rule_count.sql) and the value it shows (a masked key, a template column, or NULL), in rule order.
-- reads: staging.submission_<id>_<run>_checked; writes: nothing.
WITH totals AS (
    SELECT ARRAY[{counts}]::bigint[] AS per_rule, count(*) AS lines
    FROM {checked} AS c
    WHERE GREATEST({hits})
),
first_lines AS (
    SELECT c.source_line, ARRAY[{hits}]::boolean[] AS hit, ARRAY[{shown}]::text[] AS shown
    FROM {checked} AS c
    WHERE GREATEST({hits})
    ORDER BY c.source_line
    LIMIT {cap}
)
SELECT 'total' AS part, r.rule_no, r.n, NULL::bigint AS source_line, NULL::text AS shown
FROM totals
CROSS JOIN LATERAL unnest(totals.per_rule) WITH ORDINALITY AS r (n, rule_no)
UNION ALL
SELECT 'lines', NULL, lines, NULL, NULL
FROM totals
UNION ALL
(SELECT 'row', r.rule_no, NULL, f.source_line, r.shown
 FROM first_lines AS f
 CROSS JOIN LATERAL unnest(f.hit, f.shown) WITH ORDINALITY AS r (hit, shown, rule_no)
 WHERE r.hit
 ORDER BY f.source_line, r.rule_no
 LIMIT {cap})
