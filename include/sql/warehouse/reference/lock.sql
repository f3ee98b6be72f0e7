-- Serialises reference syncs until the end of the transaction (two runs starting at once load once).
-- reads: nothing; writes: the transaction's advisory lock.
SELECT pg_advisory_xact_lock(hashtext('bansos:reference'))
