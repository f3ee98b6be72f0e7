"""A file's correction list: which source lines the kab/kota office must fix, for which rule, and how.

A rejection names each failed rule with a count and a few masked examples; an operator fixing a
20,000-row file needs every line. The list has one row per offending (source line, rule): the line,
the rule, the template column to edit (``meta.field`` of the rule in the suite), the value masked or
hidden, and what to do (``meta.action``). It holds no full identifier: NIK and No KK are shown as
``nik_masked`` / ``no_kk_masked`` (``2171********0003``), name, birth date and address never, and any
run of nine or more digits left in a shown value is masked as well; the office has its own file, and the
line number is enough to find the row.

The lines come from PostgreSQL in one set-based query over the run's checked table, while it still
exists (after validate's verdict, before staging is dropped): each failed column-map rule of the suite
becomes a row predicate (:func:`row_predicate`, GX's semantics for the four rule types the suite uses);
one scan counts every rule's lines, another keeps the first ``cap`` offending lines in a bounded top-N
sort, so the cost is two scans whatever the number of failed rules or offending lines.
Rules GX judges on the whole table (the row count against history) have no line: the list states them
in its summary. File-level reasons (a contract rejection, unknown columns) are one row each, with the
line when their message names one (``Baris 12: ...``). Rendering to CSV and XLSX is
:mod:`bansos.validate.correction_files`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from psycopg2 import sql

from bansos.domain.outcome import RuleOutcome
from bansos.domain.privacy import mask_text
from bansos.stage.contract import COLUMN_NAMES
from bansos.validate.validate import load_suite_json
from bansos.warehouse import sqlfiles
from bansos.warehouse.database import connect

log = logging.getLogger(__name__)

NOT_NULL = "expect_column_values_to_not_be_null"
BE_NULL = "expect_column_values_to_be_null"
IN_SET = "expect_column_values_to_be_in_set"
NOT_IN_SET = "expect_column_values_to_not_be_in_set"
# The row predicate of each column-map rule type: the rows GX counts as unexpected.
PREDICATES = {
    NOT_NULL: "validate/corrections/row_is_null.sql",
    BE_NULL: "validate/corrections/row_is_not_null.sql",
    IN_SET: "validate/corrections/row_outside_set.sql",
    NOT_IN_SET: "validate/corrections/row_inside_set.sql",
}
# kwargs a predicate cannot honour: such a rule is stated in the summary, not itemised.
UNSUPPORTED_KWARGS = frozenset({"row_condition", "condition_parser", "parse_strings_as_datetimes"})

# What the list shows of a field: identifiers masked, personal fields never, other template columns as sent.
MASKED = {"nik": "nik_masked", "no_kk": "no_kk_masked"}
HIDDEN = frozenset({"nama", "tanggal_lahir", "alamat"})
SHOWN = frozenset(COLUMN_NAMES) - HIDDEN - MASKED.keys()
HIDDEN_VALUE = "(disembunyikan)"
EMPTY_VALUE = "(kosong)"
WHOLE_FILE = "(seluruh file)"
_LINE = re.compile(r"\s*Baris (\d+)\b")


def rule_name(expectation: dict) -> str:
    """The rule's name as validation records it: ``meta.rule``, else ``<type>:<column>``."""
    meta = expectation.get("meta") or {}
    return meta.get("rule") or f"{expectation['type']}:{(expectation.get('kwargs') or {}).get('column', '')}"


def _resolve(value, parameters: dict):
    """A kwarg's value, with a suite parameter (``{"$PARAMETER": name}``) replaced; KeyError if unknown."""
    if isinstance(value, dict) and "$PARAMETER" in value:
        return parameters[value["$PARAMETER"]]
    return value


def _fragment(name: str, **parts: sql.Composable) -> sql.Composed:
    """A predicate file without its comment header (it is composed into a larger statement)."""
    body = "\n".join(line for line in sqlfiles.read(name).splitlines() if not line.lstrip().startswith("--"))
    return sql.SQL(body.strip()).format(**parts)


def row_predicate(expectation: dict, parameters: dict | None = None) -> sql.Composed | None:
    """The SQL condition true exactly for the rows GX counts as unexpected for this rule, or None.

    GX's semantics: ``not_be_null`` flags nulls, ``be_null`` non-nulls; ``be_in_set`` and
    ``not_be_in_set`` ignore nulls (a null is neither inside nor outside the set). ``mostly`` does not
    change which rows are unexpected, only whether the rule passes. None for a rule that is not one of
    these four column-map types, carries a ``row_condition``, or names a suite parameter not given.
    """
    kwargs = expectation.get("kwargs") or {}
    kind = expectation.get("type")
    if kind not in PREDICATES or not kwargs.get("column") or UNSUPPORTED_KWARGS & kwargs.keys():
        return None
    column = sql.Identifier(kwargs["column"])
    if kind in (NOT_NULL, BE_NULL):
        return _fragment(PREDICATES[kind], column=column)
    try:
        values = list(_resolve(kwargs.get("value_set"), parameters or {}) or [])
    except KeyError:
        return None
    if not values:  # in no set: every non-null value is unexpected; in the empty set: none is
        return _fragment(PREDICATES[BE_NULL], column=column) if kind == IN_SET else None
    return _fragment(PREDICATES[kind], column=column, values=sql.SQL(", ").join(sql.Literal(v) for v in values))


@dataclass(frozen=True)
class RuleSpec:
    """What the list needs of one rule of the suite."""

    rule: str
    type: str
    column: str | None
    field: str  # the template column the office edits
    action: str  # what to do, in Indonesian
    predicate: sql.Composed | None  # None: judged on the whole table, or not itemisable

    @property
    def shown_column(self) -> str | None:
        """The checked table's column whose value a row shows, or None when nothing is shown."""
        if self.field in MASKED:
            return MASKED[self.field]
        return self.field if self.field in SHOWN else None

    def value(self, shown: str | None) -> str:
        """The ``nilai`` cell: empty for a blank field, hidden for personal fields, else masked."""
        if self.type == NOT_NULL:
            return EMPTY_VALUE
        if self.field in HIDDEN:
            return HIDDEN_VALUE
        if self.shown_column is None:
            return ""
        return EMPTY_VALUE if shown is None else mask_text(shown)


def rule_specs(suite: dict, parameters: dict | None = None) -> dict[str, RuleSpec]:
    """Every rule of the suite by name, with its field and action (``meta``), falling back to the rule's
    column and description."""
    specs = {}
    for expectation in suite.get("expectations", []):
        meta = expectation.get("meta") or {}
        column = (expectation.get("kwargs") or {}).get("column")
        name = rule_name(expectation)
        specs[name] = RuleSpec(
            rule=name,
            type=expectation["type"],
            column=column,
            field=meta.get("field") or column or WHOLE_FILE,
            action=meta.get("action") or meta.get("description") or expectation["type"],
            predicate=row_predicate(expectation, parameters),
        )
    return specs


@dataclass(frozen=True)
class CorrectionRow:
    line: int | None  # the source line (the header is line 1); None for a file-level reason without one
    rule: str
    severity: str  # "error" or "warning"
    field: str
    value: str
    action: str


@dataclass(frozen=True)
class RuleTotal:
    """One failed rule in the list's summary: ``rows`` offending lines (None when it has no lines)."""

    rule: str
    severity: str
    field: str
    action: str
    rows: int | None
    note: str = ""


@dataclass(frozen=True)
class CorrectionList:
    rows: tuple[CorrectionRow, ...]  # file-level reasons first, then (line, rule) by line, at most ``cap`` of these
    totals: tuple[RuleTotal, ...]  # every failed rule, in the order of the reasons
    total_rows: int  # offending (line, rule) rows in all, shown or not
    lines: int  # distinct offending source lines among the itemised rules
    cap: int

    @property
    def capped(self) -> bool:
        return self.total_rows > len(self.rows)

    def rows_of(self, rule: str) -> list[CorrectionRow]:
        return [r for r in self.rows if r.rule == rule]


def _file_level(outcome: RuleOutcome) -> CorrectionRow:
    line = _LINE.match(outcome.description or "")
    return CorrectionRow(line=int(line.group(1)) if line else None, rule=outcome.rule, severity=outcome.severity,
                         field=WHOLE_FILE, value="", action=mask_text(outcome.description or ""))


def _query(dsn: str, submission_id: int, run_id: str, specs: list[RuleSpec], cap: int):
    """Per-rule totals, distinct lines and the first ``cap`` (line, rule index, shown value) rows."""
    statement = sqlfiles.compose(
        "validate/corrections/offending_rows.sql",
        checked=sqlfiles.staging_table(submission_id, "checked", run_id),
        counts=sql.SQL(", ").join(_fragment("validate/corrections/rule_count.sql", predicate=s.predicate)
                                  for s in specs),
        hits=sql.SQL(", ").join(s.predicate for s in specs),
        shown=sql.SQL(", ").join(
            sql.Identifier(s.shown_column) if s.shown_column else sql.Literal(None) for s in specs
        ),
        cap=sql.Literal(int(cap)),
    )
    totals, lines, rows = {}, 0, []
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(statement)
        for part, rule_no, n, source_line, shown in cur.fetchall():
            if part == "total":
                totals[rule_no - 1] = n
            elif part == "lines":
                lines = n
            else:
                rows.append((source_line, rule_no - 1, shown))
    return totals, lines, rows


def collect(dsn: str, submission_id: int, run_id: str, results: Sequence[RuleOutcome], *, cap: int,
            parameters: dict | None = None, suite: dict | None = None, staged: bool = True) -> CorrectionList:
    """The correction list of a submission from its rule outcomes (only the failed ones count).

    ``staged``: the run's checked table exists and the outcomes include the suite's; False for a file
    rejected before staging finished (a contract rejection), whose reasons are all file-level and need
    no query. The query runs only when a failed rule can be itemised.
    """
    if suite is None:
        suite = load_suite_json()
    failed = [r for r in results if not r.success]
    specs = rule_specs(suite, parameters) if staged else {}
    itemised = [specs[r.rule] for r in failed if r.rule in specs and specs[r.rule].predicate is not None]
    counts, lines, found = _query(dsn, submission_id, run_id, itemised, cap) if itemised else ({}, 0, [])
    by_rule = {spec.rule: counts.get(i, 0) for i, spec in enumerate(itemised)}

    file_rows = [_file_level(r) for r in failed if r.rule not in specs]
    severity = {r.rule: r.severity for r in failed}
    rows = file_rows + [
        CorrectionRow(line=line, rule=itemised[i].rule, severity=severity[itemised[i].rule],
                      field=itemised[i].field, value=itemised[i].value(shown), action=itemised[i].action)
        for line, i, shown in found
    ]
    totals = []
    for r in failed:
        spec = specs.get(r.rule)
        if spec is None:
            totals.append(RuleTotal(r.rule, r.severity, WHOLE_FILE, mask_text(r.description or ""), 1))
        elif spec.rule in by_rule:
            if r.count is not None and by_rule[spec.rule] != r.count:
                log.warning("submission %s: the correction list finds %s lines for %s, validation counted %s",
                            submission_id, by_rule[spec.rule], spec.rule, r.count)
            totals.append(RuleTotal(spec.rule, r.severity, spec.field, spec.action, by_rule[spec.rule]))
        else:
            totals.append(RuleTotal(spec.rule, r.severity, spec.field, spec.action, None, note=_note(spec, r)))
    return CorrectionList(rows=tuple(rows), totals=tuple(totals), total_rows=len(file_rows) + sum(by_rule.values()),
                          lines=lines, cap=cap)


def _note(spec: RuleSpec, outcome: RuleOutcome) -> str:
    """Why a failed rule has no lines in the list, and what validation observed."""
    observed = f" Nilai teramati (observed): {outcome.count}." if outcome.count is not None else ""
    if spec.column is None:
        return (f"Aturan untuk seluruh file, tanpa nomor baris (a rule on the whole file, no line). "
                f"{mask_text(outcome.description or '')}{observed}")
    return (f"Baris untuk aturan ini tidak dapat dirinci; lihat Data Docs (lines of this rule cannot be listed; "
            f"see the Data Docs).{observed}")
