"""Fault: a monthly run's refresh of the marts and a publication of the same year, at once
(``bansos.publish.marts``).

The publication holds the year's publishing lock for its session and then refreshes every mart, analysing the
fact table first; a monthly run's refresh analyses the fact table too, and takes the year's lock for its
transaction. When the monthly refresh analysed first and then waited for the year's lock, while the publication
held that lock and waited to analyse, PostgreSQL found a deadlock and failed one of them: a publication retried a
minute later in the demo (2026-12-05 19:07). Every refresh now takes the year's lock before anything else
(``include/sql/publish/lock_year.sql``), so the monthly refresh waits holding nothing and both complete."""

from __future__ import annotations

import threading
import time

import psycopg2

from bansos.orchestration import steps
from bansos.publish import marts
from bansos.warehouse import sqlfiles
from bansos.warehouse.database import exclusive
from tests.conftest import pipeline_env
from tests.pipeline import land, load_without_suite, query

PROVINCE, TAHUN = "21", 2022


def _waiting_for_an_advisory_lock(dsn: str, pid: int) -> bool:
    return query(dsn, "SELECT count(*) FROM pg_locks WHERE pid = %s AND locktype = 'advisory' AND NOT granted",
                 (pid,)) == [(1,)]


def test_a_monthly_refresh_and_a_publication_of_the_year_at_once_both_complete(pg_base, tmp_path_factory, kepri2022):
    with pipeline_env(pg_base, tmp_path_factory, "refresh_locks") as env:
        steps.prepare_warehouse(PROVINCE)
        land(env.root, kepri2022, "2022-04", "21.05")  # a month of Anambas, so the year has figures to publish
        assert load_without_suite("2022-04", "21.05")["action"] == "loaded"
        errors: list[BaseException] = []
        monthly_conn = psycopg2.connect(env.dsn)
        with monthly_conn.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            [monthly_pid] = cur.fetchone()

        def monthly_refresh():
            try:
                with monthly_conn, monthly_conn.cursor() as cur:  # one transaction, committed at the end
                    marts.refresh(cur, PROVINCE, TAHUN, only=marts.MONTHLY)
            except psycopg2.Error as error:
                errors.append(error)

        # the publication as publish/publication.py runs it: the year's lock for the session, then the snapshot
        with exclusive(env.dsn, f"publish:{PROVINCE}:{TAHUN}") as cur:
            monthly = threading.Thread(target=monthly_refresh)
            monthly.start()
            deadline = time.monotonic() + 30
            while not _waiting_for_an_advisory_lock(env.dsn, monthly_pid):
                assert time.monotonic() < deadline, "the monthly refresh never waited for the year's lock"
                assert monthly.is_alive(), errors
                time.sleep(0.05)
            cur.execute(sqlfiles.read("publish/begin_snapshot.sql"))
            try:
                marts.refresh(cur, PROVINCE, TAHUN)
                cur.execute(sqlfiles.read("warehouse/commit.sql"))
            except psycopg2.Error as error:
                errors.append(error)
        monthly.join(60)
        monthly_conn.close()
        assert not monthly.is_alive()
        # neither was failed by a deadlock; both wrote their marts
        assert [f"{type(error).__name__}: {error}" for error in errors] == []
        assert query(env.dsn, "SELECT count(*) FROM mart.submission_completeness WHERE province = %s AND tahun = %s",
                     (PROVINCE, TAHUN))[0][0] > 0
