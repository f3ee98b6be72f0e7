-- One failed rule's count of offending lines, an aggregate composed into offending_rows.sql around the
-- rule's row predicate. reads: the checked table's rows; writes: nothing.
count(*) FILTER (WHERE {predicate})
