-- The references from a month's rows to their load batch checked once per statement, not once per row (issue 14).
-- reads: nothing; writes: core.check_batch_reference(), core.refuse_referenced_batch_change(), triggers on
-- core.distribution, core.household, core.person and core.load_batch; those three tables' foreign keys to
-- core.load_batch (NOT ENFORCED).
-- A foreign key checks each inserted row with its own query (a trigger per row): 1,000,000 rows of a month cost
-- about 2.5 backend CPU-s per table, three tables in a merge (distribution, household, person): a fifth of it.
-- The same guarantee, set-based: after each INSERT or UPDATE statement, one query over the statement's new rows
-- (a transition table) looks up their distinct batches (a month: one) and locks them FOR KEY SHARE, as the
-- foreign key's check does, so a concurrent delete of the batch waits for this transaction; a row whose batch
-- does not exist fails the statement with the foreign key's error (23503). On the other side a batch that rows
-- still reference cannot be deleted or renumbered (a batch is never deleted: it is history). The foreign keys
-- stay declared, NOT ENFORCED, so the catalogue and the diagrams still say what refers to what.

CREATE FUNCTION core.check_batch_reference() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    refs bigint[];
    found_ids bigint[];
BEGIN
    IF tg_table_name = 'distribution' THEN
        SELECT array_agg(DISTINCT batch_id) INTO refs FROM new_rows;
    ELSE
        SELECT array_agg(DISTINCT first_batch_id) INTO refs FROM new_rows;
    END IF;
    IF refs IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT array_agg(b.batch_id) INTO found_ids
    FROM (SELECT batch_id FROM core.load_batch WHERE batch_id = ANY (refs) FOR KEY SHARE) AS b;
    IF coalesce(cardinality(found_ids), 0) < cardinality(refs) THEN
        RAISE EXCEPTION 'insert or update on table "%" violates the reference to core.load_batch', tg_table_name
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = format('batch %s is not present in core.load_batch',
                                  (SELECT min(r) FROM unnest(refs) AS r WHERE r <> ALL (coalesce(found_ids, '{}'))));
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER distribution_batch_insert AFTER INSERT ON core.distribution REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION core.check_batch_reference();
CREATE TRIGGER distribution_batch_update AFTER UPDATE ON core.distribution REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION core.check_batch_reference();
CREATE TRIGGER household_batch_insert AFTER INSERT ON core.household REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION core.check_batch_reference();
CREATE TRIGGER household_batch_update AFTER UPDATE ON core.household REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION core.check_batch_reference();
CREATE TRIGGER person_batch_insert AFTER INSERT ON core.person REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION core.check_batch_reference();
CREATE TRIGGER person_batch_update AFTER UPDATE ON core.person REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION core.check_batch_reference();

CREATE FUNCTION core.refuse_referenced_batch_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT FROM core.distribution WHERE batch_id = old.batch_id)
       OR EXISTS (SELECT FROM core.household WHERE first_batch_id = old.batch_id)
       OR EXISTS (SELECT FROM core.person WHERE first_batch_id = old.batch_id) THEN
        RAISE EXCEPTION '% on table "load_batch" violates a reference to it: batch % is still referenced', tg_op,
            old.batch_id USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN CASE WHEN tg_op = 'DELETE' THEN old ELSE new END;
END;
$$;

CREATE TRIGGER load_batch_referenced_delete BEFORE DELETE ON core.load_batch
    FOR EACH ROW EXECUTE FUNCTION core.refuse_referenced_batch_change();
CREATE TRIGGER load_batch_referenced_renumber BEFORE UPDATE OF batch_id ON core.load_batch
    FOR EACH ROW WHEN (old.batch_id IS DISTINCT FROM new.batch_id)
    EXECUTE FUNCTION core.refuse_referenced_batch_change();

ALTER TABLE core.distribution ALTER CONSTRAINT distribution_batch_id_fkey NOT ENFORCED;
ALTER TABLE core.household ALTER CONSTRAINT household_first_batch_id_fkey NOT ENFORCED;
ALTER TABLE core.person ALTER CONSTRAINT person_first_batch_id_fkey NOT ENFORCED;
