"""Validate a staged submission with the Great Expectations suite kept in ``expectations/``.

The suite runs inside PostgreSQL (a GX SQL datasource over ``staging.submission_<id>_checked``), so
a million-row extract is checked without loading it into the worker's memory. Rules of severity
``critical`` are errors: one failing rejects the extract. ``warning`` rules are recorded and the
extract is merged. Every outcome lands in ``dq.rule_result`` with masked examples only.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from bansos import sqlfiles
from bansos.paths import EXPECTATIONS_DIR
from bansos.privacy import mask_value
from bansos.warehouse import connect, sqlalchemy_url

log = logging.getLogger(__name__)

SUITE_FILE = EXPECTATIONS_DIR / "monthly_extract.json"
EXAMPLE_KEYS = ["source_line", "nik_masked"]
MAX_EXAMPLES = 5
SEVERITY = {"critical": "error", "warning": "warning", "info": "warning"}


@dataclass
class RuleResult:
    rule: str
    description: str
    severity: str  # "error" or "warning"
    success: bool
    element_count: int | None = None
    unexpected_count: int | None = None
    unexpected_pct: float | None = None
    examples: list = field(default_factory=list)


@dataclass
class Verdict:
    accepted: bool
    results: list[RuleResult]

    @property
    def failed_errors(self) -> list[RuleResult]:
        return [r for r in self.results if not r.success and r.severity == "error"]

    @property
    def failed_warnings(self) -> list[RuleResult]:
        return [r for r in self.results if not r.success and r.severity == "warning"]

    def reasons(self) -> list[dict]:
        return [
            {"rule": r.rule, "severity": r.severity, "count": r.unexpected_count, "description": r.description,
             "examples": r.examples}
            for r in self.failed_errors + self.failed_warnings
        ]


def load_suite_json(path: Path = SUITE_FILE) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _examples(result: dict) -> list:
    index = result.get("partial_unexpected_index_list")
    if index:
        rows = [{k: row.get(k) for k in EXAMPLE_KEYS if k in row} for row in index[:MAX_EXAMPLES]]
    else:
        rows = (result.get("partial_unexpected_list") or [])[:MAX_EXAMPLES]
    return mask_value(rows)


def run_suite(dsn: str, submission_id: int, suite_path: Path = SUITE_FILE) -> list[RuleResult]:
    """Run the suite on the checked staging table and translate GX results into rule results."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx  # 4-6 s to import: only inside the task, never at DAG parse time

    warnings.filterwarnings("ignore", message=".*generic SQLDatasource.*")
    warnings.filterwarnings("ignore", message=".*schema_name. is deprecated.*")
    for name in ("great_expectations", "great_expectations._docs_decorators"):
        logging.getLogger(name).setLevel(logging.WARNING)

    table = sqlfiles.staging_table(submission_id, "checked")
    schema_name, table_name = table.strings
    suite_json = load_suite_json(suite_path)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    source = context.data_sources.add_sql("warehouse", connection_string=sqlalchemy_url(dsn))
    asset = source.add_table_asset(table_name, table_name=table_name, schema_name=schema_name)
    batch = asset.add_batch_definition_whole_table("whole").get_batch()
    suite = gx.ExpectationSuite(**suite_json)
    outcome = batch.validate(
        suite,
        result_format={
            "result_format": "SUMMARY",
            "unexpected_index_column_names": EXAMPLE_KEYS,
            "partial_unexpected_count": MAX_EXAMPLES,
        },
    )
    results = []
    for r in outcome.results:
        config = r.expectation_config
        meta = config.meta or {}
        result = r.result or {}
        severity = getattr(config.severity, "value", config.severity) or "critical"
        rule = meta.get("rule") or f"{config.type}:{config.kwargs.get('column', '')}"
        if r.exception_info and r.exception_info.get("raised_exception"):
            log.error("rule %s could not run: %s", rule, r.exception_info.get("exception_message"))
        results.append(
            RuleResult(
                rule=rule,
                description=meta.get("description", config.type),
                severity=SEVERITY.get(str(severity).lower(), "error"),
                success=bool(r.success),
                element_count=result.get("element_count"),
                unexpected_count=result.get("unexpected_count"),
                unexpected_pct=result.get("unexpected_percent"),
                examples=_examples(result),
            )
        )
    return results


def record(dsn: str, submission_id: int, run_id: str, results: list[RuleResult]) -> None:
    with connect(dsn) as conn, conn.cursor() as cur:
        for r in results:
            cur.execute(
                sqlfiles.read("validate/insert_rule_result.sql"),
                {
                    "submission_id": submission_id,
                    "run_id": run_id,
                    "rule": r.rule,
                    "description": r.description,
                    "severity": r.severity,
                    "success": r.success,
                    "element_count": r.element_count,
                    "unexpected_count": r.unexpected_count,
                    "unexpected_pct": r.unexpected_pct,
                    "examples": json.dumps(r.examples, default=str),
                },
            )


def validate_submission(dsn: str, submission_id: int, run_id: str, extra: list[RuleResult] = ()) -> Verdict:
    """Run the suite, record every rule's outcome, and decide."""
    results = list(extra) + run_suite(dsn, submission_id)
    record(dsn, submission_id, run_id, results)
    verdict = Verdict(accepted=not any(not r.success and r.severity == "error" for r in results), results=results)
    for r in verdict.failed_errors + verdict.failed_warnings:
        log.warning("submission %s: %s %s failed on %s rows (%s)", submission_id, r.severity, r.rule,
                    r.unexpected_count, r.examples)
    return verdict
