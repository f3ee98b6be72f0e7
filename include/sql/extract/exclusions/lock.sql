-- Serialises the loads of one province's registry for the rest of the transaction (two runs at once).
-- reads: nothing; writes: nothing (an advisory lock).
SELECT pg_advisory_xact_lock(hashtext('exclusions:' || %(province)s));
