"""Fault: a validation rule whose query cannot run (a lock or statement timeout under load, a lost
connection). That is an error of the run, not a finding about the file: ``validate`` raises so the
Airflow task fails and retries; nothing is recorded as a verdict, quarantined or alerted, the submission
stays ``staged``, and once the fault is gone the retry loads exactly what a clean run loads.
"""

from __future__ import annotations

import contextlib
import re

import psycopg2
import pytest
from psycopg2 import sql

from bansos.orchestration import steps
from bansos.validate.validate import RulesCouldNotRun
from tests.conftest import migrated_template, new_database
from tests.pipeline import land, query

PERIODE, KODE = "2022-04", "21.03"


def content(dsn: str) -> dict:
    """What a run leaves in the warehouse, without the clock: timestamps differ between two runs."""
    tables = {
        "distribution": "SELECT * FROM core.distribution ORDER BY batch_id, source_line",
        "load_batch": "SELECT batch_id, submission_id, row_count, superseded_at IS NULL FROM core.load_batch "
        "ORDER BY batch_id",
        "kabkota_month": "SELECT province, periode, kode_kabkota, current_batch_id FROM core.kabkota_month "
        "ORDER BY 1, 2, 3",
        "household": "SELECT * FROM core.household ORDER BY 1",
        "person": "SELECT * FROM core.person ORDER BY 1",
        "submission": "SELECT submission_id, status, sha256, row_count, quarantine_key FROM raw.submission ORDER BY 1",
        "rule_result": "SELECT submission_id, rule, severity, success, unexpected_count FROM dq.rule_result "
        "ORDER BY 1, 2",
    }
    return {name: query(dsn, sql) for name, sql in tables.items()}


@contextlib.contextmanager
def slow_rule(dsn: str):
    """One rule's fact slow to read, and a statement timeout: GX's queries that read it are cancelled.

    The checked table is moved aside and a view of the same name reads ``nik_format_ok`` through a
    50 ms sleep per row, as a query stuck under load would; new sessions have ``statement_timeout`` 300 ms
    (each query that reads it is cancelled; GX tries each three times: fifteen cancellations).
    GX's query that checks the table is there does not read the column, so it runs.
    """
    database = psycopg2.extensions.parse_dsn(dsn)["dbname"]
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(
            "SELECT schemaname, tablename FROM pg_tables WHERE schemaname = 'staging' AND tablename LIKE '%checked'"
        )
        ((schema, table),) = cur.fetchall()
        checked, aside = sql.Identifier(schema, table), sql.Identifier(schema, f"{table}_aside")
        cur.execute(sql.SQL("ALTER TABLE {} RENAME TO {}").format(checked, sql.Identifier(aside.strings[1])))
        cur.execute(
            "CREATE FUNCTION staging.slow_fact(fact boolean) RETURNS boolean STABLE LANGUAGE plpgsql "
            "AS $$ BEGIN PERFORM pg_sleep(0.05); RETURN fact; END $$"
        )
        cur.execute(
            sql.SQL("CREATE VIEW {} AS SELECT c.*, staging.slow_fact(c.nik_format_ok) AS slow FROM {} c").format(
                checked, aside
            )
        )
        cur.execute(sql.SQL("ALTER VIEW {} RENAME COLUMN nik_format_ok TO fast").format(checked))
        cur.execute(sql.SQL("ALTER VIEW {} RENAME COLUMN slow TO nik_format_ok").format(checked))
        cur.execute(sql.SQL("ALTER DATABASE {} SET statement_timeout = 300").format(sql.Identifier(database)))
    try:
        yield
    finally:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("ALTER DATABASE {} RESET statement_timeout").format(sql.Identifier(database)))
            cur.execute(sql.SQL("DROP VIEW {}").format(checked))
            cur.execute("DROP FUNCTION staging.slow_fact")
            cur.execute(sql.SQL("ALTER TABLE {} RENAME TO {}").format(aside, sql.Identifier(table)))
        conn.close()


def _staged(root, kepri2022) -> dict:
    steps.prepare_warehouse("21")
    land(root, kepri2022, PERIODE, KODE)
    staged = steps.stage(steps.extract("21", PERIODE, KODE), "faulty")
    assert staged["action"] == "process"
    return staged


def test_a_rule_that_cannot_run_fails_the_task_and_the_retry_loads_what_a_clean_run_loads(
    runtime_env, kepri2022, pg_base, monkeypatch
):
    """Fault: GX's queries reading one rule's fact hit ``statement_timeout``."""
    dsn, root = runtime_env["dsn"], runtime_env["root"]
    staged = _staged(root, kepri2022)

    with slow_rule(dsn), pytest.raises(RulesCouldNotRun) as raised:
        steps.validate(staged, "faulty")
    message = str(raised.value)
    assert "statement timeout" in message and "nik_format:" in message
    assert not re.search(r"\d{8}", message), "an identifier in the error"

    assert query(dsn, "SELECT status FROM raw.submission") == [("staged",)]
    assert query(dsn, "SELECT count(*) FROM dq.rule_result") == [(0,)], "a verdict was recorded"
    assert not (root / "quarantine").exists(), "a good file was quarantined"
    assert not (root / "outbox").exists(), "the kab/kota was alerted"

    # the fault is gone: Airflow's retry validates again and merges
    validated = steps.validate(staged, "faulty")
    assert validated["action"] == "process"
    assert steps.merge(validated, "faulty")["action"] == "loaded"
    faulty = content(dsn)

    clean_dsn = new_database(pg_base, "clean", template=migrated_template(pg_base))  # migrated, as the test's own
    monkeypatch.setenv("BANSOS_WAREHOUSE_URL", clean_dsn)
    clean_root = root.parent / "clean"
    monkeypatch.setenv("BANSOS_DATA_ROOT", clean_root.as_uri())
    clean_staged = _staged(clean_root, kepri2022)
    assert steps.merge(steps.validate(clean_staged, "faulty"), "faulty")["action"] == "loaded"
    assert faulty == content(clean_dsn)
