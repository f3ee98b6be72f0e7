"""Merge finds the file's new households and persons on a second connection while its own writes the
distributions (issue 14: the distribution insert runs in one process, so the other core takes the anti-joins,
merge/new_keys.sql). The work happens side by side, a failure on the second connection fails the merge with nothing
written, and its retry loads the month whole."""

from __future__ import annotations

import threading
import time

import psycopg2
import pytest
from psycopg2 import sql

from bansos.orchestration import steps
from bansos.warehouse import sqlfiles
from tests.pipeline import land, load_months, query

KODE, EARLIER, PERIODE = "21.05", "2022-02", "2022-03"


def _validated_march(env, kepri2022) -> dict:
    """February of Anambas loaded, March landed, staged and validated: the hand-off merge receives."""
    steps.prepare_warehouse("21")
    load_months(env["root"], kepri2022, KODE, (EARLIER,))
    land(env["root"], kepri2022, PERIODE, KODE)
    ref = steps.validate(steps.stage(steps.extract("21", PERIODE, KODE), "test"), "test")
    assert ref["action"] == "process", ref
    return ref


def _work_tables(submission_id: int) -> set[str]:
    return {sqlfiles.staging_table(submission_id, kind, "test").strings[1] for kind in sqlfiles.MERGE_WORK_TABLES}


def _staging_tables(dsn: str) -> set[str]:
    return {t for (t,) in query(dsn, "SELECT tablename FROM pg_tables WHERE schemaname = 'staging'")}


def _keys_match_distributions(dsn: str) -> None:
    """Every key of the distribution rows is a household or person, with the first batch that carries it."""
    for table, key in (("household", "kk_hash"), ("person", "nik_hash")):
        first = query(dsn, f"SELECT {key}, min(batch_id) FROM core.distribution GROUP BY 1")
        expected = {bytes(k): b for k, b in first}
        assert {bytes(k): b for k, b in query(dsn, f"SELECT {key}, first_batch_id FROM core.{table}")} == expected


def test_the_new_keys_are_found_while_the_distributions_wait(runtime_env, kepri2022):
    """The merge's own connection is held at its first write (the load batch, locked by the test); the two work
    tables of new keys still appear, made and committed by the second connection meanwhile."""
    dsn = runtime_env["dsn"]
    ref = _validated_march(runtime_env, kepri2022)
    work = _work_tables(ref["submission_id"])
    query(dsn, "SELECT core.ensure_distribution_partition(%s)", (PERIODE,))  # so only the load batch can block
    blocker = psycopg2.connect(dsn)
    outcome: dict = {}

    def merge():
        try:
            outcome["merged"] = steps.merge(ref, "test")
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            outcome["error"] = exc

    try:
        with blocker.cursor() as cur:
            cur.execute("LOCK TABLE core.load_batch IN SHARE MODE")
        merging = threading.Thread(target=merge)
        merging.start()
        deadline = time.monotonic() + 60
        while not work <= _staging_tables(dsn) and time.monotonic() < deadline:
            time.sleep(0.1)
        [(waiting,)] = query(dsn, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                  "AND query LIKE 'INSERT INTO core.load_batch%%'")
        assert work <= _staging_tables(dsn), "the new keys were not found while the distributions waited"
        assert merging.is_alive() and waiting == 1, "the merge's own connection waits for the load batch"
    finally:
        blocker.rollback()
        blocker.close()
    merging.join(120)
    assert outcome.get("merged", outcome)["action"] == "loaded", outcome
    assert not work & _staging_tables(dsn), "the merge drops the work tables"
    _keys_match_distributions(dsn)


def test_a_failure_on_the_second_connection_fails_the_merge_and_writes_nothing(runtime_env, kepri2022):
    """Fault: the second connection cannot make its work table (a view stands in its name). The merge fails,
    the month keeps no batch and no key of it; the retry, once the name is free, loads the month whole."""
    dsn = runtime_env["dsn"]
    ref = _validated_march(runtime_env, kepri2022)
    before = query(dsn, "SELECT (SELECT count(*) FROM core.household), (SELECT count(*) FROM core.person), "
                        "(SELECT count(*) FROM core.load_batch)")
    households = sqlfiles.staging_table(ref["submission_id"], "new_households", "test")
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sql.SQL("CREATE VIEW {} AS SELECT 1 AS kk_hash").format(households))
    with pytest.raises(psycopg2.errors.WrongObjectType):
        steps.merge(ref, "test")
    assert query(dsn, "SELECT (SELECT count(*) FROM core.household), (SELECT count(*) FROM core.person), "
                      "(SELECT count(*) FROM core.load_batch)") == before
    assert query(dsn, "SELECT count(*) FROM core.distribution WHERE periode = %s", (PERIODE,)) == [(0,)]
    assert query(dsn, "SELECT status FROM raw.submission WHERE submission_id = %s",
                 (ref["submission_id"],)) == [("staged",)]
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sql.SQL("DROP VIEW {}").format(households))
    assert steps.merge(ref, "test")["action"] == "loaded"
    assert not _work_tables(ref["submission_id"]) & _staging_tables(dsn)
    _keys_match_distributions(dsn)
