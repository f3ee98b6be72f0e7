-- After merge/insert_keys.sql met a key another merge added since merge/new_keys.sql looked: back to its
-- savepoint, and the keys the warehouse now knows out of the work tables, so the inserts can run again.
-- reads: core.household, core.person; writes: staging.submission_<id>_<run>_new_households, _new_persons.
-- Returns how many keys it left out: none means the conflict was not a race (the merge then fails, as a fault).
-- Keys are never deleted, so a key known now stays known, and each pass leaves out at least the one that
-- conflicted: the merge's loop ends.
ROLLBACK TO SAVEPOINT new_keys;
RELEASE SAVEPOINT new_keys;
WITH households AS (
    DELETE FROM {new_households} AS n USING core.household AS h WHERE h.kk_hash = n.kk_hash RETURNING 1
), persons AS (
    DELETE FROM {new_persons} AS n USING core.person AS p WHERE p.nik_hash = n.nik_hash RETURNING 1
)
SELECT (SELECT count(*) FROM households) + (SELECT count(*) FROM persons);
