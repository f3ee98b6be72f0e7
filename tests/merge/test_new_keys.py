"""Merge adds exactly the households and persons the warehouse does not hold yet, each with the first batch it
came in: it finds the file's new keys in a work table first (an anti-join of the staged rows against the known
keys, merge/insert_batch.sql), so a month that pays earlier months' households again must add only its new ones
and leave the known ones' first batch as it was."""

from __future__ import annotations

import pytest

from bansos.orchestration import steps
from tests.conftest import pipeline_env
from tests.pipeline import load_months, query

KODE = "21.05"


@pytest.fixture(scope="module")
def two_months(pg_base, tmp_path_factory, kepri2022):
    """Anambas' February, then its March (most of its households paid again, some new)."""
    with pipeline_env(pg_base, tmp_path_factory, "new_keys") as env:
        steps.prepare_warehouse("21")
        load_months(env.root, kepri2022, KODE, ("2022-02", "2022-03"))
        yield env.dsn


def _first_batches(dsn: str, table: str, key: str) -> dict[bytes, int]:
    return {bytes(k): b for k, b in query(dsn, f"SELECT {key}, first_batch_id FROM core.{table}")}


def _expected(dsn: str, key: str) -> dict[bytes, int]:
    """Each key of the distribution rows with the first batch that carries it."""
    return {bytes(k): b for k, b in query(dsn, f"SELECT {key}, min(batch_id) FROM core.distribution GROUP BY 1")}


@pytest.mark.parametrize(("table", "key"), [("household", "kk_hash"), ("person", "nik_hash")])
def test_the_second_month_adds_its_new_keys_and_only_those(two_months, table, key):
    dsn = two_months
    expected = _expected(dsn, key)
    # March paid keys of February again and brought new ones
    [(february, march)] = query(dsn, "SELECT min(batch_id), max(batch_id) FROM core.load_batch")
    [(again,)] = query(dsn, f"SELECT count(DISTINCT m.{key}) FROM core.distribution AS m "
                            f"JOIN core.distribution AS f ON f.{key} = m.{key} AND f.batch_id = %s "
                            "WHERE m.batch_id = %s", (february, march))
    assert again > 0 and march in expected.values()
    assert _first_batches(dsn, table, key) == expected
