"""Merge adds its new households and persons by plain inserts (merge/insert_keys.sql, issue 14: ON CONFLICT's
speculative insertion cost a third more), so a race is settled in Python: when a merge of another kab/kota adds
one of the file's new keys after merge/new_keys.sql looked, the insert fails with a unique violation, the merge
rolls back to its savepoint, leaves out the keys now known (merge/forget_known_keys.sql) and inserts the rest.
The raced key keeps the other merge's batch, every other key gets this one's, and the month is loaded. A
conflict that is not a race (a key twice in the work table) fails the merge, writing nothing."""

from __future__ import annotations

import logging

import psycopg2
from psycopg2 import sql

from bansos.orchestration import steps
from bansos.warehouse import sqlfiles
from tests.merge.march import (
    first_batches,
    first_carried,
    keys_match_distributions,
    merge_waiting_at_its_batch,
    staging_tables,
    validated_march,
    work_tables,
    written,
)
from tests.pipeline import query

# the racing merge's rows: one household and one person of the file's new ones, under February's batch
RACE = {
    "household": "INSERT INTO core.household (kk_hash, province, first_batch_id) "
                 "SELECT kk_hash, '21', %(batch)s FROM {work} ORDER BY kk_hash LIMIT 1 RETURNING kk_hash",
    "person": "INSERT INTO core.person (nik_hash, jenis_kelamin, tahun_lahir, first_batch_id) "
              "SELECT nik_hash, jenis_kelamin, tahun_lahir, %(batch)s FROM {work} ORDER BY nik_hash LIMIT 1 "
              "RETURNING nik_hash",
}


def test_a_key_another_merge_added_meanwhile_keeps_its_batch_and_the_month_loads(runtime_env, kepri2022, caplog):
    dsn = runtime_env["dsn"]
    ref = validated_march(runtime_env, kepri2022)
    [(february,)] = query(dsn, "SELECT max(batch_id) FROM core.load_batch")
    raced = {}
    with (caplog.at_level(logging.INFO, logger="bansos.merge.merge"),
          merge_waiting_at_its_batch(dsn, ref) as (cur, _, outcome)):
        for table, statement in RACE.items():
            work = sqlfiles.staging_table(ref["submission_id"], f"new_{table}s", "test")
            cur.execute(sql.SQL(statement).format(work=work), {"batch": february})
            raced[table] = bytes(cur.fetchone()[0])
    assert outcome.get("merged", outcome)["action"] == "loaded", outcome
    march = outcome["merged"]["batch_id"]
    assert not work_tables(ref["submission_id"]) & staging_tables(dsn), "the merge drops the work tables"
    for table, key in (("household", "kk_hash"), ("person", "nik_hash")):
        first = first_batches(dsn, table, key)
        assert first.pop(raced[table]) == february, f"the raced {table} keeps the other merge's batch"
        carried = first_carried(dsn, key)
        del carried[raced[table]]
        assert first == carried, f"every other {table} has the batch that first carries it"
        assert march in first.values()
    assert "2 of its new keys were added by another merge meanwhile" in caplog.text


def test_a_conflict_that_is_no_race_fails_the_merge_and_writes_nothing(runtime_env, kepri2022):
    """Fault: a household twice in the work table (no merge added it). Leaving out the known keys leaves out
    none, so the merge fails with the unique violation instead of trying again forever; its retry makes the work
    tables again and loads the month."""
    dsn = runtime_env["dsn"]
    ref = validated_march(runtime_env, kepri2022)
    before = written(dsn)
    with merge_waiting_at_its_batch(dsn, ref) as (cur, _, outcome):
        work = sqlfiles.staging_table(ref["submission_id"], "new_households", "test")
        cur.execute(sql.SQL("INSERT INTO {work} SELECT kk_hash FROM {work} LIMIT 1").format(work=work))
    assert isinstance(outcome.get("error"), psycopg2.errors.UniqueViolation), outcome
    assert written(dsn) == before
    assert steps.merge(ref, "test")["action"] == "loaded"
    keys_match_distributions(dsn)
