"""The fact table by month (migration 0043): each month's rows in a partition of their own, made before the
month's first merge, once, whoever asks at the same moment, with statistics on the lookups' batch filter
(migration 0044); a row of a month without its partition is refused, never set aside; and a warehouse of the one
table keeps every row when it is migrated."""

from __future__ import annotations

import shutil
import threading
import time
from contextlib import closing

import psycopg2
import pytest
from psycopg2 import errors

from bansos.publish import marts
from bansos.warehouse import database
from tests.conftest import new_database, pipeline_env
from tests.pipeline import load_months, query

KODE = "21.05"
ROW = ("INSERT INTO core.distribution (batch_id, source_line, province, periode, kode_kabkota, kode_kecamatan, "
       "kode_desa, kk_hash, nik_hash, kode_program, nominal, tanggal_salur, saluran) "
       "SELECT %(batch)s, g, '21', %(periode)s, '21.71', '21.71.01', '21.71.01.1001', sha256(g::text::bytea), "
       "sha256(('n' || g)::bytea), 'JAMSOS', 300000, (%(periode)s || '-15')::date, 'POS' "
       "FROM generate_series(1, %(rows)s) AS g")


def _autocommit(dsn: str):
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    return closing(conn)


def _partitions(dsn: str) -> dict[str, str]:
    """Each partition of core.distribution with its bound."""
    return dict(query(dsn, "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits AS i "
                           "JOIN pg_class AS c ON c.oid = i.inhrelid "
                           "WHERE i.inhparent = 'core.distribution'::regclass"))


def _batch(cur, periode: str) -> int:
    cur.execute("INSERT INTO raw.submission (province, periode, kode_kabkota, source_uri, landed_at, size_bytes, "
                "sha256, archive_key) VALUES ('21', %s, '21.71', 'file:///x.csv', now(), 1, repeat('a', 64), "
                "'archive/x.csv') RETURNING submission_id", (periode,))
    cur.execute("INSERT INTO core.load_batch (submission_id, province, periode, kode_kabkota, row_count) "
                "VALUES (%s, '21', %s, '21.71', 3) RETURNING batch_id", (cur.fetchone()[0], periode))
    return cur.fetchone()[0]


@pytest.fixture(scope="module")
def two_months(pg_base, tmp_path_factory, kepri2022):
    """Anambas' February and March, merged through the pipeline's steps."""
    with pipeline_env(pg_base, tmp_path_factory, "partitions") as env:
        load_months(env.root, kepri2022, KODE, ("2022-02", "2022-03"))
        yield env.dsn


def test_each_merged_month_is_in_its_own_partition(two_months):
    dsn = two_months
    assert _partitions(dsn) == {"distribution_2022_02": "FOR VALUES IN ('2022-02')",
                                "distribution_2022_03": "FOR VALUES IN ('2022-03')"}
    for periode in ("2022-02", "2022-03"):
        table = "core.distribution_" + periode.replace("-", "_")
        [(batch_rows,)] = query(dsn, "SELECT row_count FROM core.load_batch WHERE periode = %s", (periode,))
        assert query(dsn, f"SELECT count(*), min(periode), max(periode) FROM {table}") == [
            (batch_rows, periode, periode)]
    # every index of the parent has its copy on each month's table, and the vacuum setting of migration 0039
    for name in ("distribution_programme_kk_idx", "distribution_programme_nik_idx", "distribution_batch_idx"):
        assert query(dsn, "SELECT count(*) FROM pg_inherits WHERE inhparent = %s::regclass",
                     (f"core.{name}",)) == [(2,)]
    assert query(dsn, "SELECT DISTINCT reloptions FROM pg_class WHERE relname LIKE 'distribution_2022_%%' "
                      "AND relkind = 'r'") == [(["autovacuum_vacuum_insert_threshold=100000",
                                                 "autovacuum_vacuum_insert_scale_factor=0"],)]
    # the views on the fact table read the partitions
    assert query(dsn, "SELECT count(*) FROM core.distribution_current") == query(
        dsn, "SELECT sum(row_count) FROM core.load_batch")


def _batch_statistics(dsn: str) -> dict[str, tuple[str, list[str]]]:
    """Each statistics object on a month's partition: its table and expressions."""
    return {name: (table, exprs) for name, table, exprs in query(
        dsn, "SELECT stxname, stxrelid::regclass::text, pg_get_statisticsobjdef_expressions(oid) "
             "FROM pg_statistic_ext WHERE stxnamespace = 'core'::regnamespace")}


def test_each_month_has_statistics_on_the_lookups_batch_filter(two_months):
    """Stage's lookups compare the batch as ``batch_id + 0`` (build_checked.sql); each month's partition has
    statistics on that expression (migration 0044), so once analysed the planner knows how many of its rows a
    list of batches keeps: every one here, not the 0.5 % it assumes of an expression it knows nothing of."""
    dsn = two_months
    assert _batch_statistics(dsn) == {
        f"distribution_2022_{m}_batch": (f"core.distribution_2022_{m}", ["(batch_id + 0)"]) for m in ("02", "03")}
    with _autocommit(dsn) as conn, conn.cursor() as cur:
        cur.execute("ANALYZE core.distribution_2022_03")
        cur.execute("SELECT current_batch_id FROM core.kabkota_month WHERE periode = '2022-03'")
        [(batch,)] = cur.fetchall()
        cur.execute("EXPLAIN (FORMAT JSON) SELECT 1 FROM core.distribution_2022_03 "
                    "WHERE batch_id + 0 = ANY (%s::bigint[])", ([batch],))
        estimated = cur.fetchone()[0][0]["Plan"]["Plan Rows"]
        cur.execute("SELECT count(*) FROM core.distribution_2022_03")
        [(rows,)] = cur.fetchall()
    assert rows > 100 and estimated == rows


def test_a_month_without_its_partition_is_refused_not_set_aside(warehouse):
    with _autocommit(warehouse) as conn, conn.cursor() as cur:
        batch = _batch(cur, "2030-01")
        with pytest.raises(errors.CheckViolation, match="no partition"):
            cur.execute(ROW, {"batch": batch, "periode": "2030-01", "rows": 3})
        cur.execute("SELECT core.ensure_distribution_partition('2030-01')")
        cur.execute(ROW, {"batch": batch, "periode": "2030-01", "rows": 3})
        cur.execute("SELECT count(*) FROM core.distribution_2030_01")
        assert cur.fetchone() == (3,)


@pytest.mark.parametrize("periode", ["2022-13", "2022-1", "22-01", "2022_01", "x'); DROP TABLE core.x; --"])
def test_a_periode_that_is_not_a_month_makes_no_table(warehouse, periode):
    with _autocommit(warehouse) as conn, conn.cursor() as cur, pytest.raises(errors.InvalidParameterValue):
        cur.execute("SELECT core.ensure_distribution_partition(%s)", (periode,))
    assert _partitions(warehouse) == {}


def test_two_sessions_asking_for_a_new_month_make_one_partition(warehouse):
    """The first holds its transaction open after making the partition; the second waits for it, then finds the
    partition made instead of making another (which would fail: the name is taken)."""
    first, second = psycopg2.connect(warehouse), psycopg2.connect(warehouse)
    outcome: dict = {}
    with closing(first), closing(second):
        with first.cursor() as cur:
            cur.execute("SELECT core.ensure_distribution_partition('2031-02')")
            outcome["first"] = cur.fetchone()[0]

        def ask():
            try:
                with second.cursor() as cur:
                    cur.execute("SELECT core.ensure_distribution_partition('2031-02')")
                    outcome["second"] = cur.fetchone()[0]
                second.commit()
                outcome["at"] = time.monotonic()
            except psycopg2.Error as exc:
                outcome["error"] = exc

        thread = threading.Thread(target=ask)
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive(), "the second session waits for the first's transaction"
        committed = time.monotonic()
        first.commit()
        thread.join(10)
    assert "error" not in outcome, outcome.get("error")
    assert outcome["first"] == outcome["second"] == "core.distribution_2031_02"
    assert outcome["at"] >= committed
    assert _partitions(warehouse) == {"distribution_2031_02": "FOR VALUES IN ('2031-02')"}


def test_a_warehouse_of_the_one_table_keeps_every_row_when_migrated(pg_base, tmp_path, monkeypatch):
    dsn = new_database(pg_base, "by_period")
    before = tmp_path / "migrations"
    before.mkdir()
    for path in sorted(database.MIGRATIONS_DIR.glob("*.sql")):
        if path.name < "0043":
            shutil.copy(path, before / path.name)
    monkeypatch.setattr(database, "MIGRATIONS_DIR", before)
    database.migrate(dsn)
    with _autocommit(dsn) as conn, conn.cursor() as cur:
        for periode, rows in (("2022-01", 5), ("2022-02", 7)):
            cur.execute(ROW, {"batch": _batch(cur, periode), "periode": periode, "rows": rows})
    table = "SELECT md5(string_agg(d::text, ',' ORDER BY batch_id, source_line)) FROM core.distribution AS d"
    [(rows_before,)] = query(dsn, table)
    monkeypatch.setattr(database, "MIGRATIONS_DIR", database.SQL_DIR / "migrations")
    assert database.migrate(dsn) == [p.name for p in sorted(database.MIGRATIONS_DIR.glob("*.sql"))
                                     if p.name >= "0043"]
    assert query(dsn, table) == [(rows_before,)]
    assert _partitions(dsn) == {"distribution_2022_01": "FOR VALUES IN ('2022-01')",
                                "distribution_2022_02": "FOR VALUES IN ('2022-02')"}
    assert query(dsn, "SELECT count(*) FROM core.distribution_2022_02") == [(7,)]
    # the statistics of migration 0044 on the months there before it, filled by its ANALYZE
    assert set(_batch_statistics(dsn)) == {"distribution_2022_01_batch", "distribution_2022_02_batch"}
    assert query(dsn, "SELECT count(*) FROM pg_stats_ext_exprs WHERE statistics_schemaname = 'core'") == [(2,)]
    assert query(dsn, "SELECT to_regclass('core.distribution_unpartitioned')") == [(None,)]
    # the batch-reference check of migration 0040 is on the partitioned table
    with _autocommit(dsn) as conn, conn.cursor() as cur, pytest.raises(errors.ForeignKeyViolation):
        cur.execute(ROW, {"batch": 999, "periode": "2022-01", "rows": 1})


def test_publishing_gives_the_partitioned_table_its_own_statistics(two_months):
    """Autovacuum analyses each month's partition, never the parent, whose statistics the year's joins over every
    month are planned on: the marts' refresh takes them (publish/analyze_facts.sql)."""
    dsn = two_months
    stats = ("SELECT n_distinct FROM pg_stats WHERE schemaname = 'core' AND tablename = 'distribution' "
             "AND attname = 'periode' AND inherited")
    assert query(dsn, stats) == [], "the migration analysed an empty table; nothing else analyses the parent"
    marts.refresh_all(dsn, "21", 2022)
    assert query(dsn, stats) == [(2.0,)]
