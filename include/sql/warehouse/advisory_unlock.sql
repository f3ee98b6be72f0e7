-- Releases the session advisory lock taken by advisory_lock.sql.
-- reads: nothing; writes: the session's advisory lock.
SELECT pg_advisory_unlock(hashtext(%s))
