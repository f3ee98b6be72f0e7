-- Takes the province-year's publishing lock for this transaction, first, before anything else a refresh locks:
-- every refresh of a year's marts (a monthly run's, a publication's) asks for its locks in one order, so none
-- holds one the other waits for. The publication holds the same lock for its session already
-- (publish/publication.py); asking again in the same session is granted at once. Without it first, a monthly
-- refresh analysed the fact table (publish/analyze_facts.sql, a lock on core.distribution) and then waited for
-- this lock, while a publication held this lock and waited to analyse: a deadlock (docs/decisions.md, "A
-- monthly refresh and a publication at once"). reads: nothing; writes: this transaction's advisory lock.
SELECT pg_advisory_xact_lock(hashtext('publish:' || %(province)s || ':' || %(tahun)s::text));
