"""Preparing the warehouse (migrations, roles' grants, reference data) from several runs at once.

A backfill starts three monthly runs together, and each begins with ``prepare``: the three must
neither fail nor wait for a retry because another is granting or loading reference data meanwhile.
A migration that fails must leave the lock free and its file unapplied.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import psycopg2
import pytest

from bansos.orchestration import steps
from bansos.warehouse import database as warehouse
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


def test_a_failing_migration_rolls_back_reports_its_own_error_and_frees_the_lock(pg_base, tmp_path, monkeypatch):
    dsn = new_database(pg_base, "mig")
    (tmp_path / "0001_first.sql").write_text("CREATE TABLE public.t_first (x integer);")
    (tmp_path / "0002_broken.sql").write_text("CREATE TABLE public.t_broken (x integer); SELECT 1 / 0;")
    monkeypatch.setattr(warehouse, "MIGRATIONS_DIR", tmp_path)
    with pytest.raises(psycopg2.errors.DivisionByZero):
        warehouse.migrate(dsn)
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT version FROM public.schema_migration ORDER BY 1")
        assert cur.fetchall() == [("0001_first.sql",)]
        cur.execute("SELECT to_regclass('public.t_broken') IS NULL")
        assert cur.fetchone()[0], "the failed file's statements are rolled back"
        cur.execute("SELECT pg_try_advisory_lock(hashtext('bansos:migrate'))")
        assert cur.fetchone()[0], "the lock is free for the next migrator"
        cur.execute("SELECT pg_advisory_unlock(hashtext('bansos:migrate'))")
    (tmp_path / "0002_broken.sql").write_text("CREATE TABLE public.t_broken (x integer);")
    assert warehouse.migrate(dsn) == ["0002_broken.sql"]
    (tmp_path / "0001_first.sql").write_text("CREATE TABLE public.t_first (x bigint);")
    with pytest.raises(RuntimeError, match="0001_first.sql was changed after it was applied"):
        warehouse.migrate(dsn)
