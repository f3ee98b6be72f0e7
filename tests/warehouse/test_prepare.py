"""Preparing the warehouse (migrations, roles' grants, reference data) from several runs at once.

A backfill starts three monthly runs together, and each begins with ``prepare``: the three must
neither fail nor wait for a retry because another is granting or loading reference data meanwhile.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import psycopg2

from bansos import steps
from tests.conftest import new_database


def test_concurrent_prepares_of_a_fresh_warehouse_all_succeed(pg_base, monkeypatch):
    dsn = new_database(pg_base, "prep")
    monkeypatch.setenv("BANSOS_WAREHOUSE_URL", dsn)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: steps.prepare_warehouse("21"), range(4)))
    # exactly one of them applied the migrations and loaded the reference files; none failed
    assert sum(bool(r["migrations"]) for r in results) == 1
    assert sum(bool(r["reference"]) for r in results) == 1
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM ref.kabkota WHERE kode LIKE '21.%'")
        assert cur.fetchone()[0] == 7


def test_concurrent_prepares_of_a_prepared_warehouse_all_succeed(pg_base, monkeypatch):
    dsn = new_database(pg_base, "prep")
    monkeypatch.setenv("BANSOS_WAREHOUSE_URL", dsn)
    steps.prepare_warehouse("21")
    for _ in range(3):
        with ThreadPoolExecutor(max_workers=3) as pool:
            results = list(pool.map(lambda _: steps.prepare_warehouse("21"), range(3)))
        assert [r["migrations"] for r in results] == [[], [], []]
