"""Anambas' March validated and waiting for its merge, February loaded before it: the hand-off the merge's
concurrency tests start from, and what they check after (the work tables, and every key's first batch)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2

from bansos.orchestration import steps
from bansos.warehouse import sqlfiles
from tests.pipeline import land, load_months, query

KODE, EARLIER, PERIODE = "21.05", "2022-02", "2022-03"


def validated_march(env, kepri2022) -> dict:
    """February of Anambas loaded, March landed, staged and validated: the hand-off merge receives."""
    steps.prepare_warehouse("21")
    load_months(env["root"], kepri2022, KODE, (EARLIER,))
    land(env["root"], kepri2022, PERIODE, KODE)
    ref = steps.validate(steps.stage(steps.extract("21", PERIODE, KODE), "test"), "test")
    assert ref["action"] == "process", ref
    return ref


def work_tables(submission_id: int) -> set[str]:
    return {sqlfiles.staging_table(submission_id, kind, "test").strings[1] for kind in sqlfiles.MERGE_WORK_TABLES}


def staging_tables(dsn: str) -> set[str]:
    return {t for (t,) in query(dsn, "SELECT tablename FROM pg_tables WHERE schemaname = 'staging'")}


def first_batches(dsn: str, table: str, key: str) -> dict[bytes, int]:
    """Each household's or person's first batch, as the warehouse recorded it."""
    return {bytes(k): b for k, b in query(dsn, f"SELECT {key}, first_batch_id FROM core.{table}")}


def written(dsn: str) -> list[tuple]:
    """How many households, persons and load batches the warehouse holds: what a failed merge must leave."""
    return query(dsn, "SELECT (SELECT count(*) FROM core.household), (SELECT count(*) FROM core.person), "
                      "(SELECT count(*) FROM core.load_batch)")


def first_carried(dsn: str, key: str) -> dict[bytes, int]:
    """Each key of the distribution rows with the first batch that carries it."""
    return {bytes(k): b for k, b in query(dsn, f"SELECT {key}, min(batch_id) FROM core.distribution GROUP BY 1")}


def keys_match_distributions(dsn: str) -> None:
    """Every key of the distribution rows is a household or person, with the first batch that carries it."""
    for table, key in (("household", "kk_hash"), ("person", "nik_hash")):
        assert first_batches(dsn, table, key) == first_carried(dsn, key)


@contextmanager
def merge_waiting_at_its_batch(dsn: str, ref: dict) -> Iterator[tuple]:
    """Merge ``ref`` in a thread while the test's connection holds ``core.load_batch``: yields that connection's
    cursor, the merge's thread and its outcome (``merged`` or ``error``) once the second connection has made
    its work tables and the merge's own waits for its first write. Leaving commits the test's connection,
    with whatever it wrote meanwhile, and waits for the merge."""
    work = work_tables(ref["submission_id"])
    query(dsn, "SELECT core.ensure_distribution_partition(%s)", (PERIODE,))  # so only the load batch can block
    blocker = psycopg2.connect(dsn)
    outcome: dict = {}

    def merge():
        try:
            outcome["merged"] = steps.merge(ref, "test")
        except Exception as exc:  # noqa: BLE001 - reported by the tests' assertions
            outcome["error"] = exc

    merging = threading.Thread(target=merge)
    try:
        with blocker.cursor() as cur:
            cur.execute("LOCK TABLE core.load_batch IN SHARE MODE")
            merging.start()
            deadline = time.monotonic() + 60
            while not work <= staging_tables(dsn) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert work <= staging_tables(dsn), "the new keys were not found while the distributions waited"
            yield cur, merging, outcome
        blocker.commit()
    finally:
        blocker.rollback()
        blocker.close()
        if merging.ident is not None:  # started
            merging.join(120)
