-- Serialises decisions on one province-month (two answers at once cannot both read the same state).
-- reads: nothing; writes: nothing (a transaction-level advisory lock).
SELECT pg_advisory_xact_lock(hashtext('approve:' || %(province)s || ':' || %(periode)s));
