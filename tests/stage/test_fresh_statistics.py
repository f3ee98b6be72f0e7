"""Stage analyses the months its rules across months will read when their statistics are behind their rows
(``bansos.stage.stage.freshen_statistics``, ``include/sql/stage/stale_partitions.sql``).

A month's partition analysed when it held one kab/kota's batch and read after more were merged had its batch
filter estimated at a few rows; the planner then merge-joined the file's keys to it on the programme alone, and a
small file's lookups took tens of seconds in the demo. Autovacuum analyses the month only at its next pass, so
stage does it first, on a connection of its own. Here autovacuum is off for February's partition, so only stage
can analyse it."""

from __future__ import annotations

import logging
import re
import threading
import time

import psycopg2

from bansos.orchestration import steps
from bansos.stage.stage import freshen_statistics
from bansos.warehouse.database import close_idle, connect
from tests.conftest import _admin, pipeline_env
from tests.pipeline import land, load_without_suite, query

FEBRUARY, MARCH, ANAMBAS, BATAM = "2022-02", "2022-03", "21.05", "21.71"


def _analysed(dsn: str) -> tuple:
    [row] = query(dsn, "SELECT coalesce(last_analyze, last_autoanalyze), n_mod_since_analyze, n_live_tup "
                       "FROM pg_stat_user_tables WHERE relid = 'core.distribution_2022_02'::regclass")
    return row


def test_stage_analyses_a_month_merged_into_since_its_statistics(pg_base, tmp_path_factory, kepri2022, caplog):
    with pipeline_env(pg_base, tmp_path_factory, "fresh_statistics") as env:
        steps.prepare_warehouse("21")
        land(env.root, kepri2022, FEBRUARY, ANAMBAS)
        assert load_without_suite(FEBRUARY, ANAMBAS)["action"] == "loaded"
        _admin(env.dsn, "ALTER TABLE core.distribution_2022_02 SET (autovacuum_enabled = false)")
        _admin(env.dsn, "ANALYZE core.distribution_2022_02")  # its statistics: Anambas' batch alone
        analysed_with_one, _, _ = _analysed(env.dsn)
        land(env.root, kepri2022, FEBRUARY, BATAM)  # a larger kab/kota merged since
        assert load_without_suite(FEBRUARY, BATAM)["action"] == "loaded"
        close_idle()  # the merge's session ends, and its counts reach pg_stat_user_tables
        _, changed, rows = _analysed(env.dsn)
        assert changed > 50 + rows / 10, "February is behind its statistics by more than autovacuum's threshold"

        # March of Anambas reads February in its rules across months: stage analyses it first
        land(env.root, kepri2022, MARCH, ANAMBAS)
        with caplog.at_level(logging.INFO, logger="bansos.stage.stage"):
            assert load_without_suite(MARCH, ANAMBAS)["action"] == "loaded"
        # the task log says which months were analysed and what each cost
        assert re.search(r"analysed distribution_2022_02 \([0-9]+\.[0-9]{2} s\) before the rules across months",
                         caplog.text), caplog.text
        analysed, changed, _ = _analysed(env.dsn)
        assert analysed > analysed_with_one and changed == 0

        # fresh now: nothing to analyse; a month that is not read is not looked at
        with connect(env.dsn) as conn, conn.cursor() as cur:
            assert freshen_statistics(env.dsn, cur, [FEBRUARY]) == []
            assert freshen_statistics(env.dsn, cur, ["2021-12"]) == []
        # merged into again, then the server's counts start from zero (as after a crash, or in a copied
        # database): the month counts as fresh, as autovacuum counts it, not as never analysed
        _admin(env.dsn, "UPDATE core.distribution_2022_02 SET nominal = nominal")
        close_idle()
        with connect(env.dsn) as conn, conn.cursor() as cur:
            assert freshen_statistics(env.dsn, cur, [FEBRUARY]) == ["distribution_2022_02"]
        _admin(env.dsn, "SELECT pg_stat_reset()")
        with connect(env.dsn) as conn, conn.cursor() as cur:
            assert freshen_statistics(env.dsn, cur, [FEBRUARY]) == []


def _waiting_on_locks(dsn: str) -> int:
    [(waiting,)] = query(dsn, "SELECT count(*) FROM pg_stat_activity "
                              "WHERE datname = current_database() AND wait_event_type = 'Lock'")
    return waiting


def test_two_stages_that_find_a_month_stale_at_once_analyse_it_once(pg_base, tmp_path_factory, kepri2022):
    """Two kab/kota's stages that find one month stale at the same moment: one analyses it, the other waits for
    that one, asks again and finds it fresh. Without the lock each analysed it, one after the other (ANALYZE
    excludes another ANALYZE of the same table), and sampled the month twice."""
    with pipeline_env(pg_base, tmp_path_factory, "fresh_statistics_at_once") as env:
        steps.prepare_warehouse("21")
        _admin(env.dsn, "SELECT core.ensure_distribution_partition('2022-02')")
        _admin(env.dsn, "ALTER TABLE core.distribution_2022_02 SET (autovacuum_enabled = false)")
        _admin(env.dsn, "ANALYZE core.distribution_2022_02")  # empty: its statistics before Batam's month
        land(env.root, kepri2022, FEBRUARY, BATAM)
        assert load_without_suite(FEBRUARY, BATAM)["action"] == "loaded"
        close_idle()
        [(analyses_before,)] = query(env.dsn, "SELECT analyze_count FROM pg_stat_user_tables "
                                              "WHERE relid = 'core.distribution_2022_02'::regclass")
        # an ANALYZE of February waits while this transaction holds the lock every ANALYZE takes
        blocker = psycopg2.connect(env.dsn)
        results, errors = [], []

        def stage_lookups() -> None:
            try:
                with connect(env.dsn) as conn, conn.cursor() as cur:
                    results.append(freshen_statistics(env.dsn, cur, [FEBRUARY]))
            except Exception as exc:  # surfaced by the assertion below
                errors.append(exc)

        try:
            with blocker.cursor() as cur:
                cur.execute("LOCK TABLE core.distribution_2022_02 IN SHARE UPDATE EXCLUSIVE MODE")
            stages = [threading.Thread(target=stage_lookups) for _ in range(2)]
            for stage in stages:
                stage.start()
            deadline = time.monotonic() + 30
            while _waiting_on_locks(env.dsn) < 2:  # both found February stale and wait, one way or another
                assert time.monotonic() < deadline, "the two stages never both waited"
                time.sleep(0.05)
        finally:
            blocker.rollback()
            blocker.close()
        for stage in stages:
            stage.join(timeout=60)
        assert errors == []
        assert sorted(results) == [[], ["distribution_2022_02"]]
        [(analyses_after,)] = query(env.dsn, "SELECT analyze_count FROM pg_stat_user_tables "
                                             "WHERE relid = 'core.distribution_2022_02'::regclass")
        assert analyses_after == analyses_before + 1
