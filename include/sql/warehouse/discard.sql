-- Returns a session to the state of a new one before it waits for its next use in this process
-- (bansos.warehouse.database.connect): temporary tables, settings, advisory locks, prepared plans and
-- LISTENs all go; the catalogue caches the backend filled stay, which is the point of keeping it.
-- reads: nothing; writes: nothing (this session's state only).
DISCARD ALL
