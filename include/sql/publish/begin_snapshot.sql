-- Opens the publication's snapshot: refresh, reconcile and read the marts in one consistent view.
-- reads: nothing; writes: nothing.
BEGIN ISOLATION LEVEL REPEATABLE READ
