-- Commits the transaction a block opened itself on an autocommit connection.
-- reads: nothing; writes: what the transaction wrote.
COMMIT
