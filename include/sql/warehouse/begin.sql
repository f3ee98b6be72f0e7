-- Opens a transaction on an autocommit connection (a migration runs in one of its own).
-- reads: nothing; writes: nothing.
BEGIN
