"""The warehouse's demands on its PostgreSQL server: a version checked before any migration, and the
settings file every server of the project is configured from (bansos.warehouse.server)."""

from __future__ import annotations

import psycopg2
import pytest

from bansos.warehouse import database as warehouse
from bansos.warehouse import server
from tests.conftest import new_database


def test_the_test_server_is_new_enough_and_a_higher_minimum_is_refused_by_name(pg_base):
    dsn = new_database(pg_base, "srv")
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        number = server.require_version(cur)
        assert number >= server.MIN_SERVER_VERSION
        cur.execute("SHOW server_version")
        name = cur.fetchone()[0]
        with pytest.raises(server.ServerTooOld) as refused:
            server.require_version(cur, minimum=number + 1)
    assert f"PostgreSQL {name};" in str(refused.value)
    assert f"need {(number + 1) // 10000} or later" in str(refused.value)


def test_a_server_older_than_the_migrations_need_is_refused_before_any_of_them_runs(pg_base, monkeypatch):
    dsn = new_database(pg_base, "srv")
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT current_setting('server_version_num')::integer")
        number = cur.fetchone()[0]
    # this server stands in for one a major version older than the migrations need
    monkeypatch.setattr(server, "MIN_SERVER_VERSION", number + 10000)
    with pytest.raises(server.ServerTooOld):
        warehouse.migrate(dsn)
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT to_regclass('public.schema_migration') IS NULL AND to_regnamespace('core') IS NULL")
        assert cur.fetchone()[0], "a migration ran on a server the check refused"
    monkeypatch.setattr(server, "MIN_SERVER_VERSION", number)
    assert warehouse.migrate(dsn), "the same server, new enough, is migrated"


def test_every_recommended_setting_is_one_the_server_knows_with_a_value_it_accepts(pg_base):
    settings = server.recommended_settings()
    assert {"shared_buffers", "max_wal_size", "checkpoint_timeout", "wal_buffers"} <= dict(settings).keys()
    dsn = new_database(pg_base, "srv")
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        for name, value in settings:
            cur.execute("SELECT unit, vartype FROM pg_settings WHERE name = %s", (name,))
            found = cur.fetchone()
            assert found is not None, f"{name}: not a PostgreSQL setting"
            unit, kind = found
            if kind == "integer" and unit in {"8kB", "kB", "MB"}:  # a size, with its unit
                cur.execute("SELECT pg_size_bytes(%s) > 0", (value,))
            elif kind == "integer" and unit in {"ms", "s", "min"}:  # a time, with its unit
                cur.execute("SELECT %s::interval > interval '0'", (value,))
            else:
                cur.execute("SELECT %s <> ''", (value,))
            assert cur.fetchone()[0], f"{name} = {value!r}"


def test_a_line_that_is_not_a_quoted_setting_is_an_error_not_a_setting_left_out(tmp_path, monkeypatch):
    conf = tmp_path / "warehouse.conf"
    conf.write_text("# a comment\n\nshared_buffers = '1GB'  # why\nmax_wal_size = 4GB\n", encoding="utf-8")
    monkeypatch.setattr(server, "SETTINGS_FILE", conf)
    with pytest.raises(ValueError, match="line 4"):
        server.recommended_settings()
    conf.write_text("# a comment\n\nshared_buffers = '1GB'  # why\n", encoding="utf-8")
    assert server.recommended_settings() == (("shared_buffers", "1GB"),)


def test_a_file_of_comments_only_recommends_nothing_and_names_nothing(pg_base, tmp_path, monkeypatch):
    conf = tmp_path / "warehouse.conf"
    conf.write_text("# every setting left to the server\n\n", encoding="utf-8")
    monkeypatch.setattr(server, "SETTINGS_FILE", conf)
    assert server.recommended_settings() == ()
    with psycopg2.connect(new_database(pg_base, "srv")) as conn, conn.cursor() as cur:
        assert server.settings_below(cur) == []


def _current(dsn: str, name: str) -> str:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT current_setting(%s)", (name,))
        return cur.fetchone()[0]


def test_the_settings_a_server_runs_below_are_named_by_amount_not_by_text(pg_base, tmp_path, monkeypatch):
    dsn = new_database(pg_base, "srv")
    shared, wal, compression = (_current(dsn, n) for n in ("shared_buffers", "max_wal_size", "wal_compression"))
    above = "1TB"  # more than any test server has
    other = "zstd" if compression != "zstd" else "lz4"
    conf = tmp_path / "warehouse.conf"
    conf.write_text(
        f"shared_buffers = '{above}'\n"
        f"max_wal_size = '{wal}'\n"  # the server's own value: not below
        "checkpoint_timeout = '1s'\n"  # below the server's: not below
        f"wal_compression = '{other}'\n"  # a text that differs
        f"wal_level = '{_current(dsn, 'wal_level')}'\n",  # a text that is the same
        encoding="utf-8",
    )
    monkeypatch.setattr(server, "SETTINGS_FILE", conf)
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        below = server.settings_below(cur)
    assert below == [("shared_buffers", shared, above), ("wal_compression", compression, other)]


def test_prepare_names_in_its_log_each_setting_the_server_runs_below(pg_base, tmp_path, monkeypatch, caplog):
    from bansos.orchestration import steps

    dsn = new_database(pg_base, "srv")
    monkeypatch.setenv("BANSOS_WAREHOUSE_URL", dsn)
    conf = tmp_path / "warehouse.conf"
    conf.write_text(f"shared_buffers = '1TB'\nmax_wal_size = '{_current(dsn, 'max_wal_size')}'\n", encoding="utf-8")
    monkeypatch.setattr(server, "SETTINGS_FILE", conf)
    with caplog.at_level("WARNING", logger="bansos.orchestration.steps"):
        result = steps.prepare_warehouse("21")
    assert result["settings_below"] == ["shared_buffers"]
    warned = [r.getMessage() for r in caplog.records if "warehouse.conf" in r.getMessage()]
    assert warned == [f"the warehouse server's shared_buffers is {_current(dsn, 'shared_buffers')}, below the 1TB "
                      "of include/config/postgresql/warehouse.conf: large months load slower (README, 'Running "
                      "against a real PostgreSQL and S3')"]
