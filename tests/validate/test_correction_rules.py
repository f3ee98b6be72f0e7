"""The correction list's row predicates against Great Expectations itself, on a real PostgreSQL table.

Each failed column-map rule of the suite becomes a SQL condition (``correction_list.row_predicate``);
the list is only right if that condition picks exactly the rows GX counts as unexpected. Here a small
checked table with nulls, booleans and codes is validated by GX (the project's own ``run_suite``) with a
suite of every rule type the list supports, ``mostly``, an empty set, a suite parameter and a table-level
rule; the list's per-rule totals must equal GX's counts, and its lines must be the expected ones.
"""

from __future__ import annotations

import json

import psycopg2
import pytest
from psycopg2 import sql

from bansos.domain.outcome import RuleOutcome
from bansos.validate import correction_list, validate
from bansos.warehouse import sqlfiles

SUBMISSION, RUN = 990001, "predicate-test"
# source_line, kode (text), flag (boolean), catatan (text)
ROWS = [
    (2, "A", True, None),
    (3, "B", False, "x"),
    (4, None, True, None),
    (5, "C", None, "y"),
    (6, "A", False, None),
    (7, "Z", True, "x"),
]


def _rule(kind: str, name: str, column: str | None = None, severity: str = "critical", **kwargs) -> dict:
    if column:
        kwargs["column"] = column
    return {"type": kind, "kwargs": kwargs, "severity": severity, "meta": {"rule": name, "description": name}}


SUITE = {
    "name": "predicates",
    "expectations": [
        _rule("expect_column_values_to_not_be_null", "kode_required", "kode"),
        _rule("expect_column_values_to_be_null", "catatan_blank", "catatan"),
        _rule("expect_column_values_to_be_in_set", "kode_known", "kode", value_set=["A", "B"]),
        _rule("expect_column_values_to_not_be_in_set", "kode_not_z", "kode", value_set=["Z", "C"]),
        _rule("expect_column_values_to_be_in_set", "flag_true", "flag", value_set=[True]),
        _rule("expect_column_values_to_be_in_set", "flag_mostly", "flag", severity="warning", value_set=[True],
              mostly=0.9),
        _rule("expect_column_values_to_be_in_set", "flag_passes_mostly", "flag", severity="warning",
              value_set=[True], mostly=0.5),
        _rule("expect_column_values_to_be_in_set", "kode_from_parameter", "kode",
              value_set={"$PARAMETER": "known_codes"}),
        _rule("expect_column_values_to_be_in_set", "kode_in_nothing", "kode", value_set=[]),
        _rule("expect_table_row_count_to_be_between", "row_count", severity="warning", min_value=10, max_value=20),
    ],
}
PARAMETERS = {"known_codes": ["A", "C"]}
# the lines each column-map rule must list (nulls ignored by the set rules, as GX does)
EXPECTED_LINES = {
    "kode_required": [4],
    "catatan_blank": [3, 5, 7],
    "kode_known": [5, 7],
    "kode_not_z": [5, 7],
    "flag_true": [3, 6],
    "flag_mostly": [3, 6],
    "kode_from_parameter": [3, 7],
    "kode_in_nothing": [2, 3, 5, 6, 7],
}


@pytest.fixture
def checked(warehouse):
    table = sqlfiles.staging_table(SUBMISSION, "checked", RUN)
    with psycopg2.connect(warehouse) as conn, conn.cursor() as cur:
        # nik_masked: validation asks GX for it with each unexpected row (its examples)
        cur.execute(sql.SQL("CREATE TABLE {} (source_line bigint, kode text, flag boolean, catatan text, "
                            "nik_masked text DEFAULT '****')").format(table))
        cur.executemany(sql.SQL("INSERT INTO {} (source_line, kode, flag, catatan) VALUES (%s, %s, %s, %s)")
                        .format(table), ROWS)
    return warehouse


def test_the_predicates_pick_exactly_the_rows_gx_counts(checked, tmp_path):
    suite_path = tmp_path / "suite.json"
    suite_path.write_text(json.dumps(SUITE))
    outcomes, _ = validate.run_suite(checked, SUBMISSION, RUN, PARAMETERS, tmp_path / "gx", suite_path)
    by_rule = {o.rule: o for o in outcomes}
    # 2 of the 5 non-null flags are false: 60% expected passes mostly 0.5, fails mostly 0.9
    assert by_rule["flag_passes_mostly"].success and not by_rule["flag_mostly"].success

    listing = correction_list.collect(checked, SUBMISSION, RUN, outcomes, cap=100, parameters=PARAMETERS,
                                      suite=SUITE)

    totals = {t.rule: t for t in listing.totals}
    failed = {o.rule for o in outcomes if not o.success}
    assert set(totals) == failed, "every failed rule is in the summary, and only those"
    for rule, lines in EXPECTED_LINES.items():
        assert by_rule[rule].count == len(lines), (rule, by_rule[rule].count)  # GX agrees with the fixture
        assert totals[rule].rows == by_rule[rule].count, rule
        assert [r.line for r in listing.rows_of(rule)] == lines, rule
    assert "flag_passes_mostly" not in totals, "a rule that passed (mostly) lists no rows"
    assert totals["row_count"].rows is None and "seluruh file" in totals["row_count"].note
    assert listing.total_rows == sum(len(v) for v in EXPECTED_LINES.values()) == len(listing.rows)
    assert listing.lines == 6  # every line but none: line 2 fails kode_in_nothing only
    assert [r.line for r in listing.rows] == sorted(r.line for r in listing.rows), "ordered by line"


def test_the_cap_keeps_the_first_lines_and_every_total(checked):
    outcomes = [RuleOutcome(rule=rule, severity="error", description=rule, count=len(lines))
                for rule, lines in EXPECTED_LINES.items()]

    listing = correction_list.collect(checked, SUBMISSION, RUN, outcomes, cap=4, parameters=PARAMETERS, suite=SUITE)

    assert len(listing.rows) == 4 and listing.capped
    assert listing.total_rows == sum(len(v) for v in EXPECTED_LINES.values())
    assert {t.rule: t.rows for t in listing.totals} == {rule: len(lines) for rule, lines in EXPECTED_LINES.items()}
    assert [(r.line, r.rule) for r in listing.rows] == [
        (2, "kode_in_nothing"), (3, "catatan_blank"), (3, "flag_true"), (3, "flag_mostly")]


def test_values_shown_masked_or_hidden(warehouse):
    spec = correction_list.rule_specs({"expectations": [
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "nik_format_ok", "value_set": [True]},
         "meta": {"rule": "nik_format", "field": "nik", "action": "Tulis NIK"}},
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "tanggal_lahir_ok", "value_set": [True]},
         "meta": {"rule": "tanggal_lahir_valid", "field": "tanggal_lahir"}},
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "nominal_in_rules", "value_set": [True]},
         "meta": {"rule": "nominal_in_rules", "field": "nominal", "description": "nominal salah"}},
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "excluded", "value_set": [False]}},
    ]})
    nik, lahir, nominal, fallback = spec.values()
    assert nik.shown_column == "nik_masked" and nik.value("2171********0003") == "2171********0003"
    assert lahir.shown_column is None and lahir.value(None) == correction_list.HIDDEN_VALUE
    assert nominal.shown_column == "nominal" and nominal.action == "nominal salah", "action falls back"
    assert nominal.value("1.000.000") == "1.000.000" and nominal.value(None) == correction_list.EMPTY_VALUE
    assert nominal.value("2171015505800002") == "2171********0002", "a long digit run is masked whatever the field"
    assert fallback.rule == "expect_column_values_to_be_in_set:excluded" and fallback.field == "excluded"
    assert fallback.shown_column is None and fallback.value("x") == "", "a fact column shows no value"


@pytest.mark.parametrize(
    "expectation",
    [
        {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "nik", "regex": "^[0-9]{16}$"}},
        {"type": "expect_column_values_to_be_in_set",
         "kwargs": {"column": "nik", "value_set": [1], "row_condition": 'kode=="A"', "condition_parser": "pandas"}},
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "kode", "value_set": {"$PARAMETER": "x"}}},
        {"type": "expect_column_values_to_not_be_in_set", "kwargs": {"column": "kode", "value_set": []}},
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}},
    ],
)
def test_rules_without_a_row_predicate(expectation):
    assert correction_list.row_predicate(expectation, {}) is None


def test_a_file_level_reason_is_one_row_with_its_line():
    reasons = [
        RuleOutcome(rule="ragged_rows", severity="error",
                    description="Baris 57: jumlah kolom tidak sama dengan header."),
        RuleOutcome(rule="missing_columns", severity="error", description="Kolom wajib tidak ada: 'no_kk'."),
    ]
    listing = correction_list.collect("unused", 1, "r", reasons, cap=10, staged=False, suite=SUITE)
    assert [(r.line, r.rule, r.field, r.value) for r in listing.rows] == [
        (57, "ragged_rows", correction_list.WHOLE_FILE, ""),
        (None, "missing_columns", correction_list.WHOLE_FILE, ""),
    ]
    assert listing.rows[0].action.startswith("Baris 57: jumlah kolom")
    assert listing.total_rows == 2 and not listing.capped


def test_every_rule_of_the_suite_tells_the_office_which_column_and_what_to_do():
    """The reviewed suite: each rule names the template column to edit and an action in Indonesian, and each
    column-map rule has a row predicate (a new rule without them still gets a list, from its column and
    description, but the office reads a fact column's name: add ``meta.field`` and ``meta.action``)."""
    from bansos.stage.contract import COLUMN_NAMES

    for expectation in validate.load_suite_json()["expectations"]:
        rule, meta = correction_list.rule_name(expectation), expectation.get("meta") or {}
        assert meta.get("action") and meta["action"] != meta.get("description"), f"{rule}: meta.action"
        assert meta.get("field") in (*COLUMN_NAMES, correction_list.WHOLE_FILE), f"{rule}: meta.field"
        if expectation["type"] in correction_list.PREDICATES:
            assert correction_list.row_predicate(expectation, {}) is not None, rule
        else:
            assert meta["field"] == correction_list.WHOLE_FILE, rule
