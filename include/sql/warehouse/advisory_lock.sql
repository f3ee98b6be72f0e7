-- Takes the session advisory lock of a name, waiting for whoever holds it (released by advisory_unlock.sql).
-- reads: nothing; writes: the session's advisory lock.
SELECT pg_advisory_lock(hashtext(%s))
