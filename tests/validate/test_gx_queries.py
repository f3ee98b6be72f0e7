"""GX asks PostgreSQL for a rule's unexpected rows only when the rule has some (:mod:`bansos.validate.gx_queries`).

A small checked table with one rule of each kind that fails, one that holds and one that holds "mostly" (some
unexpected rows, still a success) is validated twice, with GX as shipped and with the wrapper installed: the
results GX returns are the same, and with the wrapper the statements that list unexpected rows run only for the
rules that have them.
"""

from __future__ import annotations

import json
import os

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import psycopg2  # noqa: E402
import psycopg2.sql  # noqa: E402
import pytest  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from bansos.validate import gx_queries, validate  # noqa: E402
from bansos.warehouse import sqlfiles  # noqa: E402

SUBMISSION, RUN = 9, "gx-queries"
RULES = [  # (rule, expectation, kwargs): which rows break it is in ROWS
    ("nik_fails", "expect_column_values_to_be_in_set", {"column": "nik_format_ok", "value_set": [True]}),
    ("kk_holds", "expect_column_values_to_be_in_set", {"column": "no_kk_format_ok", "value_set": [True]}),
    ("nama_fails", "expect_column_values_to_not_be_null", {"column": "nama"}),
    ("periode_holds", "expect_column_values_to_not_be_null", {"column": "periode"}),
    ("severity_fails", "expect_column_values_to_not_be_in_set", {"column": "sev", "value_set": ["error"]}),
    ("severity_holds", "expect_column_values_to_not_be_in_set", {"column": "sev", "value_set": ["warning"]}),
    ("desa_mostly", "expect_column_values_to_be_in_set",
     {"column": "desa_ok", "value_set": [True], "mostly": 0.5}),
    ("rows", "expect_table_row_count_to_be_between", {"min_value": 1, "max_value": 100}),
]
# source_line, nik_masked, nik_format_ok, no_kk_format_ok, nama, periode, sev, desa_ok
ROWS = [(n, f"2171********{n:04d}", n not in (3, 7), True, None if n == 5 else "x", "2022-12",
         "error" if n == 8 else None, n != 2) for n in range(2, 22)]
LISTING = ("unexpected_values", "LIMIT")


@pytest.fixture
def checked(warehouse) -> str:
    table = sqlfiles.staging_table(SUBMISSION, "checked", RUN)
    with psycopg2.connect(warehouse) as conn, conn.cursor() as cur:
        cur.execute(psycopg2.sql.SQL("CREATE TABLE {t} (source_line int, nik_masked text, nik_format_ok bool, "
                                     "no_kk_format_ok bool, nama text, periode text, sev text, desa_ok bool)"
                                     ).format(t=table))
        cur.executemany(psycopg2.sql.SQL("INSERT INTO {t} VALUES (%s, %s, %s, %s, %s, %s, %s, %s)").format(t=table),
                        ROWS)
    return warehouse


def _suite(path):
    path.write_text(json.dumps({"name": "gx_queries", "expectations": [
        {"type": kind, "kwargs": kwargs, "severity": "critical", "meta": {"rule": rule, "description": rule}}
        for rule, kind, kwargs in RULES]}))
    return path


def _run(dsn, tmp_path, name):
    statements = []

    def seen(conn, cursor, statement, *args):
        if all(word in statement for word in LISTING) or "source_line, nik_masked" in statement:
            statements.append(statement)

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        results, _page = validate.run_suite(dsn, SUBMISSION, RUN, {}, tmp_path / name, _suite(tmp_path / "s.json"))
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    return results, statements


def test_only_rules_with_unexpected_rows_are_listed_and_results_are_the_same(checked, tmp_path, monkeypatch):
    from great_expectations.execution_engine import SqlAlchemyExecutionEngine

    gx_queries.install()
    with monkeypatch.context() as shipped:  # GX as shipped: every rule's rows are listed
        shipped.setattr(SqlAlchemyExecutionEngine, "resolve_metrics", gx_queries.SHIPPED)
        before, listed_before = _run(checked, tmp_path, "shipped")
    after, listed_after = _run(checked, tmp_path, "wrapped")

    assert after == before
    by_rule = {r.rule: r for r in after}
    assert {r for r, o in by_rule.items() if not o.success} == {"nik_fails", "nama_fails", "severity_fails"}
    assert by_rule["desa_mostly"].success and by_rule["desa_mostly"].count == 1
    assert by_rule["nik_fails"].count == 2 and len(by_rule["nik_fails"].examples) == 2
    # as shipped: a value list and an index list for every column rule; wrapped: only for the four with rows
    assert len(listed_before) == 2 * 7
    listed_columns = {s.split(" AS ")[0].split()[-1].strip('"') for s in listed_after if "unexpected_values" in s}
    assert listed_columns == {"nik_format_ok", "nama", "sev", "desa_ok"}
    assert len(listed_after) == 2 * 4
