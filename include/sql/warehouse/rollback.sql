-- Rolls back the transaction a block opened itself on an autocommit connection.
-- reads: nothing; writes: nothing (undoes the transaction).
ROLLBACK
