"""Merge finds the file's new households and persons on a second connection while its own writes the
distributions (issue 14: the distribution insert runs in one process, so the other core takes the anti-joins,
merge/new_keys.sql). The work happens side by side, a failure on the second connection fails the merge with nothing
written, and its retry loads the month whole."""

from __future__ import annotations

import psycopg2
import pytest
from psycopg2 import sql

from bansos.orchestration import steps
from bansos.warehouse import sqlfiles
from tests.merge.march import (
    PERIODE,
    keys_match_distributions,
    merge_waiting_at_its_batch,
    staging_tables,
    validated_march,
    work_tables,
    written,
)
from tests.pipeline import query


def test_the_new_keys_are_found_while_the_distributions_wait(runtime_env, kepri2022):
    """The merge's own connection is held at its first write (the load batch, locked by the test); the two work
    tables of new keys still appear, made and committed by the second connection meanwhile."""
    dsn = runtime_env["dsn"]
    ref = validated_march(runtime_env, kepri2022)
    work = work_tables(ref["submission_id"])
    with merge_waiting_at_its_batch(dsn, ref) as (_, merging, outcome):
        [(waiting,)] = query(dsn, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                  "AND query LIKE 'INSERT INTO core.load_batch%%'")
        assert merging.is_alive() and waiting == 1, "the merge's own connection waits for the load batch"
    assert outcome.get("merged", outcome)["action"] == "loaded", outcome
    assert not work & staging_tables(dsn), "the merge drops the work tables"
    keys_match_distributions(dsn)


def test_a_failure_on_the_second_connection_fails_the_merge_and_writes_nothing(runtime_env, kepri2022):
    """Fault: the second connection cannot make its work table (a view stands in its name). The merge fails,
    the month keeps no batch and no key of it; the retry, once the name is free, loads the month whole."""
    dsn = runtime_env["dsn"]
    ref = validated_march(runtime_env, kepri2022)
    before = written(dsn)
    households = sqlfiles.staging_table(ref["submission_id"], "new_households", "test")
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sql.SQL("CREATE VIEW {} AS SELECT 1 AS kk_hash").format(households))
    with pytest.raises(psycopg2.errors.WrongObjectType):
        steps.merge(ref, "test")
    assert written(dsn) == before
    assert query(dsn, "SELECT count(*) FROM core.distribution WHERE periode = %s", (PERIODE,)) == [(0,)]
    assert query(dsn, "SELECT status FROM raw.submission WHERE submission_id = %s",
                 (ref["submission_id"],)) == [("staged",)]
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sql.SQL("DROP VIEW {}").format(households))
    assert steps.merge(ref, "test")["action"] == "loaded"
    assert not work_tables(ref["submission_id"]) & staging_tables(dsn)
    keys_match_distributions(dsn)
