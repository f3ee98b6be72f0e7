"""Roles, tested by connecting as each: the office reads the marts and nothing else; the pipeline's own
role runs the pipeline.

The roles are created by ``bansos.warehouse.roles.ensure_roles`` (as the warehouse's owner, after migrating), then
one login is made in each role and every check below connects as that login.
"""

from __future__ import annotations

import secrets
import uuid
from contextlib import closing
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg2
import pytest
from psycopg2 import errors

from bansos.domain.storage import open_store
from bansos.orchestration import steps
from bansos.publish import marts, publication
from bansos.warehouse import roles
from tests.conftest import pipeline_env
from tests.pipeline import land, run_branch

PRIVATE = ["core.distribution", "core.distribution_current", "core.household", "core.person",
           "core.load_batch", "core.kabkota_month", "core.kabkota_month_version", "core.batch_source_total",
           "raw.submission", "dq.rule_result", "ref.region", "ref.kabkota", "public.schema_migration",
           "core.exclusion", "core.exclusion_in_force", "raw.exclusion_file"]


def as_login(dsn: str, login: str, password: str) -> str:
    parts = urlsplit(dsn)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{quote(login)}:{quote(password)}@{host}"))


@pytest.fixture(scope="module")
def logins(pg_base, kepri2022, tmp_path_factory):
    suffix = uuid.uuid4().hex[:8]
    password = secrets.token_urlsafe(16)
    reader, pipeline = f"t_office_{suffix}", f"t_pipeline_{suffix}"
    with pipeline_env(pg_base, tmp_path_factory, "roles") as env:
        dsn, root, mp = env.dsn, env.root, env.mp
        assert roles.ensure_roles(dsn) == {roles.PIPELINE_ROLE: True, roles.READER_ROLE: True}
        land(root, kepri2022, "2022-01", "21.05")
        assert run_branch("2022-01", "21.05")["action"] == "loaded"
        marts.refresh_all(dsn, "21", 2022)
        roles.create_login(dsn, reader, roles.READER_ROLE, password)
        roles.create_login(dsn, pipeline, roles.PIPELINE_ROLE, password)
        yield {"dsn": dsn, "root": root, "kepri2022": kepri2022, "reader": as_login(dsn, reader, password),
               "pipeline": as_login(dsn, pipeline, password), "mp": mp}
    with connect(pg_base) as conn, conn.cursor() as cur:
        for login in (reader, pipeline):
            try:
                cur.execute(f'DROP ROLE IF EXISTS "{login}"')
            except psycopg2.Error:
                pass  # still referenced somewhere: harmless in a test server


def connect(dsn: str):
    """An autocommit connection that closes on exit (``with conn`` would open a transaction instead)."""
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    return closing(conn)


def test_the_office_reads_every_mart(logins):
    with connect(logins["reader"]) as conn, conn.cursor() as cur:
        cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'mart'")
        tables = sorted(t for (t,) in cur.fetchall())
        assert {"distribution_by_region", "distribution_summary", "submission_completeness", "dq_summary",
                "reporting_rate"} <= set(tables)
        for table in tables:
            cur.execute(f"SELECT count(*) FROM mart.{table}")
        cur.execute("SELECT kk_assisted FROM mart.distribution_by_region WHERE tingkat = 'kabupaten_kota' "
                    "AND jenis_periode = 'bulan' AND kode_program IS NULL")
        assert cur.fetchone()[0] > 0


@pytest.mark.parametrize("table", PRIVATE)
def test_the_office_is_refused_core_raw_dq_and_reference_tables(logins, table):
    with connect(logins["reader"]) as conn, conn.cursor() as cur, pytest.raises(errors.InsufficientPrivilege):
        cur.execute(f"SELECT * FROM {table} LIMIT 1")


def test_the_office_cannot_compute_pseudonyms_or_write(logins):
    with connect(logins["reader"]) as conn, conn.cursor() as cur:
        with pytest.raises(errors.InsufficientPrivilege):
            cur.execute("SELECT core.hmac_sha256('x', '\\x00'::bytea, '\\x00'::bytea)")
        with pytest.raises(errors.ReadOnlySqlTransaction):  # read-only by default ...
            cur.execute("DELETE FROM mart.distribution_by_region")
        cur.execute("SET default_transaction_read_only = off")  # ... and without privileges anyway
        for statement in ("DELETE FROM mart.distribution_by_region",
                          "UPDATE mart.submission_completeness SET status = 'on_time'",
                          "INSERT INTO mart.dq_summary SELECT * FROM mart.dq_summary",
                          "CREATE TABLE mart.mine (x int)",
                          "CREATE TABLE public.mine (x int)",
                          "CREATE SCHEMA mine"):
            with pytest.raises(errors.InsufficientPrivilege):
                cur.execute(statement)


def test_the_marts_hold_no_identifier_or_hash(logins):
    with connect(logins["reader"]) as conn, conn.cursor() as cur:
        cur.execute("SELECT table_name, column_name, data_type FROM information_schema.columns "
                    "WHERE table_schema = 'mart'")
        columns = cur.fetchall()
    assert columns
    assert [c for c in columns if c[2] == "bytea"] == []
    assert [c for c in columns if c[1] in ("nik", "no_kk", "nama", "tanggal_lahir") or "hash" in c[1]] == []


def test_the_pipeline_role_runs_the_pipeline(logins, tmp_path):
    mp = logins["mp"]
    mp.setenv("BANSOS_WAREHOUSE_URL", logins["pipeline"])
    try:
        steps.prepare_warehouse("21")
        land(logins["root"], logins["kepri2022"], "2022-01", "21.03")
        assert run_branch("2022-01", "21.03")["action"] == "loaded"
        result = publication.publish_year(logins["pipeline"], open_store(tmp_path.as_uri()), "21", 2022)
    finally:
        mp.setenv("BANSOS_WAREHOUSE_URL", logins["dsn"])
    assert result["reconciliation"]["ok"]
    with connect(logins["pipeline"]) as conn, conn.cursor() as cur:
        cur.execute("SELECT current_user, count(*) FROM core.kabkota_month GROUP BY 1")
        assert cur.fetchall() == [(roles.PIPELINE_ROLE, 2)], "sessions act as the role, not as the login"
        cur.execute("SELECT count(*) FROM pg_tables WHERE schemaname IN ('core', 'mart', 'raw', 'dq', 'ref') "
                    "AND tableowner <> %s", (roles.PIPELINE_ROLE,))
        assert cur.fetchone() == (0,), "the role owns the warehouse"
    with connect(logins["reader"]) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(DISTINCT kode_kabkota) FROM mart.distribution_by_region WHERE tahun = 2022")
        assert cur.fetchone() == (2,), "the office sees what the pipeline published"


def test_ensuring_roles_again_changes_nothing(logins):
    before = _privileges(logins["dsn"])
    assert roles.ensure_roles(logins["dsn"]) == {roles.PIPELINE_ROLE: True, roles.READER_ROLE: True}
    assert _privileges(logins["dsn"]) == before


def _privileges(dsn: str) -> list:
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT n.nspname, c.relname, pg_get_userbyid(c.relowner), c.relacl::text "
                    "FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace "
                    "WHERE n.nspname IN ('ref', 'raw', 'core', 'dq', 'mart') ORDER BY 1, 2")
        return cur.fetchall()
