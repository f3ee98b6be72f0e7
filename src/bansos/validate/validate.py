"""Validate a staged submission with the Great Expectations suite kept in ``expectations/``.

The suite runs inside PostgreSQL (a GX SQL datasource over ``staging.submission_<id>_checked``), so
a million-row extract is checked without loading it into the worker's memory. Rules of severity
``critical`` are errors: one failing rejects the extract. ``warning`` rules are recorded and the
extract is merged. Every outcome lands in ``dq.rule_result`` with masked examples only, and the
GX Data Docs of the validation are published under ``datadocs/`` in the data root, readable offline
(:mod:`bansos.validate.datadocs`); alerts link to its validation page. The rules read facts computed
in SQL (booleans, masked keys), not identifiers, so neither the results nor the Data Docs carry
personal data. A rule that could not run (its query raised) is a fault of the run, not a finding:
validation raises and the task retries.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import tempfile
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bansos.domain.handoff import Staged
from bansos.domain.layout import datadocs_folder
from bansos.domain.outcome import RuleOutcome
from bansos.domain.privacy import mask_value
from bansos.domain.resources import EXPECTATIONS_DIR
from bansos.domain.storage import Store
from bansos.validate import gx_python, gx_queries
from bansos.validate.datadocs import SITE, publish_data_docs
from bansos.warehouse import sqlfiles
from bansos.warehouse.database import sqlalchemy_url

log = logging.getLogger(__name__)

SUITE_FILE = EXPECTATIONS_DIR / "monthly_extract.json"
EXAMPLE_KEYS = ["source_line", "nik_masked"]
# fact columns whose values are reasons, never identifiers: an example shows the value beside its line
# ("meninggal sejak 2022-06-01" for a distribution to an excluded NIK)
SHOWN_VALUES = ["excluded_reason"]
MAX_EXAMPLES = 5
SEVERITY = {"critical": "error", "warning": "warning", "info": "warning"}
# what a rule's result carries: its counts, its first unexpected values and the index keys of their rows
RESULT_FORMAT = {
    "result_format": "SUMMARY",
    "unexpected_index_column_names": EXAMPLE_KEYS,
    "partial_unexpected_count": MAX_EXAMPLES,
}


@dataclass
class Verdict:
    accepted: bool
    results: list[RuleOutcome]
    data_docs_key: str | None = None

    @property
    def failed_errors(self) -> list[RuleOutcome]:
        return [r for r in self.results if not r.success and r.severity == "error"]

    @property
    def failed_warnings(self) -> list[RuleOutcome]:
        return [r for r in self.results if not r.success and r.severity == "warning"]

    def reasons(self) -> list[RuleOutcome]:
        """The rules that failed, errors first: what a rejection quarantines and alerts with."""
        return self.failed_errors + self.failed_warnings


def load_suite_json(path: Path = SUITE_FILE) -> dict:
    """The reviewed GX suite as JSON: the rules, their severities and their parameters."""
    return json.loads(path.read_text(encoding="utf-8"))


def _examples(result: dict) -> list:
    index = result.get("partial_unexpected_index_list")
    if index:
        rows = [{k: row.get(k) for k in EXAMPLE_KEYS + SHOWN_VALUES if k in row} for row in index[:MAX_EXAMPLES]]
    else:
        rows = (result.get("partial_unexpected_list") or [])[:MAX_EXAMPLES]
    return mask_value(rows)


class RulesCouldNotRun(RuntimeError):
    """Rules whose queries raised (a timeout, a lost connection, a missing table): a fault of the run.

    Not a finding about the file, so no verdict: the task fails and Airflow retries it. The message
    names the rules and the first line of each error, masked, never a row's values.
    """

    def __init__(self, submission_id: int, errors: dict[str, str]):
        self.errors = errors
        listed = "; ".join(f"{rule}: {error}" for rule, error in errors.items())
        super().__init__(f"submission {submission_id}: {len(errors)} rule(s) could not run: {listed}")


def _run_errors(exception_info) -> list[str]:
    """The errors GX caught while computing a rule, from either form of its ``exception_info``.

    GX 1.24 gives one ``{"raised_exception", "exception_message", ...}`` for an error raised while
    evaluating the expectation, and a dict of those keyed by metric id for metrics whose queries failed.
    """
    if not exception_info:
        return []
    infos = [exception_info] if "raised_exception" in exception_info else list(exception_info.values())
    return [
        str(info.get("exception_message") or "unknown error")
        for info in infos
        if isinstance(info, dict) and info.get("raised_exception")
    ]


def _first_line(message: str, limit: int = 200) -> str:
    """An error's first line, shortened and masked (drivers append the statement and its parameters)."""
    line = message.strip().splitlines()[0] if message.strip() else "unknown error"
    return mask_value(line[:limit])


def _rules_that_could_not_run(outcome) -> dict[str, str]:
    errors = {}
    for r in outcome.results:
        messages = _run_errors(r.exception_info)
        if messages:
            config = r.expectation_config
            rule = (config.meta or {}).get("rule") or f"{config.type}:{config.kwargs.get('column', '')}"
            errors[rule] = _first_line(messages[0])
    return errors


def _translate(outcome) -> list[RuleOutcome]:
    results = []
    for r in outcome.results:
        config = r.expectation_config
        meta = config.meta or {}
        result = r.result or {}
        severity = getattr(config.severity, "value", config.severity) or "critical"
        rule = meta.get("rule") or f"{config.type}:{config.kwargs.get('column', '')}"
        unexpected = result.get("unexpected_count")
        if unexpected is None and not r.success and "observed_value" in result:
            unexpected = result["observed_value"]  # table-level rules: the observed row count
        results.append(
            RuleOutcome(
                rule=rule,
                description=meta.get("description", config.type),
                severity=SEVERITY.get(str(severity).lower(), "error"),
                success=bool(r.success),
                element_count=result.get("element_count"),
                count=unexpected,
                unexpected_pct=result.get("unexpected_percent"),
                examples=tuple(_examples(result)),
            )
        )
    return results


def _cache_data_docs_templates() -> None:
    """Keep GX's compiled Data Docs templates between validations (Jinja's bytecode cache).

    GX builds a new Jinja environment for every page it renders, so each validation compiled the
    same fifty templates again: about a second of CPU per validate task under load, seven tasks per
    monthly run. Jinja's own ``FileSystemBytecodeCache`` (a private folder in the temp dir, keyed by
    each template's source checksum) lets every process after the first load them compiled.
    """
    from great_expectations.render.view import view

    if getattr(view.DefaultJinjaView, "_bansos_cached", False):
        return
    from jinja2 import FileSystemBytecodeCache

    cache = FileSystemBytecodeCache()
    compile_each_time = view.DefaultJinjaView.__init__

    def init(self, *args, **kwargs):
        compile_each_time(self, *args, **kwargs)
        self.env.bytecode_cache = cache

    view.DefaultJinjaView.__init__ = init
    view.DefaultJinjaView._bansos_cached = True


def _project_config(docs_dir: Path):
    """The throw-away GX project of one validation: its stores in memory, its Data Docs site in ``docs_dir``.

    A file project (``gx.get_context(mode="file")``) wrote ``great_expectations.yml`` three times, the
    suite, validation definition, checkpoint and validation result as JSON files, and read them all back
    to check each was "fresh" before the run; nothing reads those files afterwards, only the site's HTML
    pages are published. An ephemeral context keeps the stores in memory and builds the same site (the
    same pages, checked in ``tests/validate/test_gx_project.py``) where the file project had it, at
    ``datadocs.SITE`` under ``docs_dir``. Nor does it read a ``config_variables.yml``.
    """
    from great_expectations.data_context.types.base import DataContextConfig, InMemoryStoreBackendDefaults

    return DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        data_docs_sites={
            "local_site": {  # the site a file project configures, as GX writes it into great_expectations.yml,
                "module_name": "bansos.validate.gx_site",  # but for the static folder it copies (gx_site.py)
                "class_name": "PagesOnlySiteBuilder",
                "show_how_to_buttons": True,
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir / SITE)},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }
        },
        progress_bars={"globally": False},
    )


def _quiet_gx() -> None:
    warnings.filterwarnings("ignore", message=".*generic SQLDatasource.*")
    warnings.filterwarnings("ignore", message=".*schema_name. is deprecated.*")
    for name in ("great_expectations", "great_expectations._docs_decorators"):
        logging.getLogger(name).setLevel(logging.WARNING)


@contextmanager
def cyclic_gc_paused():
    """Python's cyclic garbage collector off while GX runs, as it was before afterwards.

    GX allocates and drops some hundreds of thousands of objects per validation, and the collector,
    counting allocations, now and then decides on a full pass over every object of the process (GX,
    pandas, SQLAlchemy, and in a task Airflow): about a quarter of a CPU-second each time here, in the
    first validation of a process and then every third or so (measured with ``gc.callbacks``). A
    validation leaves about 1,500 objects in reference cycles (``gc.collect()`` after one): with the
    collector paused they wait for its next pass instead, reference counting frees everything else as
    before, and the process's peak memory did not move. Only the automatic passes are paused; a
    ``gc.collect()`` still collects.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def run_suite(
    dsn: str, submission_id: int, run_id: str, parameters: dict, docs_dir: Path, suite_path: Path = SUITE_FILE
) -> tuple[list[RuleOutcome], Path | None]:
    """Run the suite on the checked table and build its Data Docs in ``docs_dir``.

    Returns the rule results and the validation's Data Docs page (relative to ``docs_dir``).
    Raises :class:`RulesCouldNotRun` when a rule's query failed, before anything is published or
    recorded: a rule that did not run says nothing about the file.
    """
    with cyclic_gc_paused():
        return _run_gx(dsn, submission_id, run_id, parameters, docs_dir, suite_path)


def _run_and_build_docs(context, batch, suite, parameters: dict):
    """Validate the batch against the suite, store the result and build its Data Docs pages, as a
    validation definition run by a checkpoint with an ``UpdateDataDocsAction`` does, without either.

    Both add nothing to a throw-away context but bookkeeping. A checkpoint, added to the context, is read
    back from its store, and before it runs it reads itself back again to compare with itself field by
    field (GX's "freshness" check, pydantic equality over the suite's 52 rules): about a seventh of a small
    validation's CPU (docs/decisions.md, "Validation without a checkpoint"). A validation definition does
    the same once more for itself, its suite and its batch definition, before the ``Validator`` it wraps runs
    (GX 1.24 ``ValidationDefinition.run``): here the ``Validator`` runs directly, and the result gets the
    same metadata and the same store key as ``run`` gives it (its ``validation_id``, the definition's id in
    GX, a new UUID as GX's would be). The stored result and the site GX builds for it are the same:
    ``tests/validate/test_gx_project.py`` compares the pages with a checkpoint's in a file project.
    """
    import uuid
    from datetime import UTC, datetime

    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )
    from great_expectations.validator.v1_validator import Validator

    run_id = RunIdentifier(run_time=datetime.now(UTC))
    validator = Validator(batch_definition=batch, result_format=RESULT_FORMAT)
    result = validator.validate_expectation_suite(suite, parameters)
    result.meta.update(validation_id=str(uuid.uuid4()), checkpoint_id=None, run_id=run_id,
                       validation_time=run_id.run_time, batch_parameters=None)
    suite_key = ExpectationSuiteIdentifier(name=suite.name)
    result_key = ValidationResultIdentifier(
        batch_identifier=validator.active_batch_id, expectation_suite_identifier=suite_key, run_id=run_id
    )
    context.validation_results_store.store_validation_results(
        suite_validation_result=result,
        suite_validation_result_identifier=result_key,
        expectation_suite_identifier=suite_key,
    )
    context.build_data_docs(resource_identifiers=[result_key, suite_key])
    return result


def _run_gx(
    dsn: str, submission_id: int, run_id: str, parameters: dict, docs_dir: Path, suite_path: Path
) -> tuple[list[RuleOutcome], Path | None]:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx  # 4-6 s to import: only inside the task, never at DAG parse time

    _quiet_gx()
    _cache_data_docs_templates()
    gx_queries.install()  # a rule's unexpected rows are queried only when it has some
    gx_python.install()  # GX's metric graph without the work it repeats
    table = sqlfiles.staging_table(submission_id, "checked", run_id)
    schema_name, table_name = table.strings
    context = gx.get_context(mode="ephemeral", project_config=_project_config(docs_dir))
    source = context.data_sources.add_sql("warehouse", connection_string=sqlalchemy_url(dsn))
    asset = source.add_table_asset(
        f"submission_{submission_id}", table_name=table_name, schema_name=schema_name
    )
    batch = asset.add_batch_definition_whole_table("whole")
    suite = context.suites.add(gx.ExpectationSuite(**load_suite_json(suite_path)))
    suite_result = _run_and_build_docs(context, batch, suite, parameters)
    errors = _rules_that_could_not_run(suite_result)
    if errors:
        raise RulesCouldNotRun(submission_id, errors)
    site = docs_dir / SITE
    pages = sorted((site / "validations").rglob("*.html")) if site.exists() else []
    return _translate(suite_result), (pages[-1].relative_to(site) if pages else None)


def record(cur, submission_id: int, run_id: str, results: list[RuleOutcome]) -> None:
    """Record every rule's outcome in the caller's transaction: the one that changes the verdict's status,
    so only the run holding the submission's claim records, and once."""
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
                "unexpected_count": r.count,
                "unexpected_pct": r.unexpected_pct,
                "examples": json.dumps(list(r.examples), default=str),
            },
        )


def validate_submission(
    dsn: str, store: Store, staged: Staged, run_id: str, parameters: dict, extra: list[RuleOutcome] = ()
) -> Verdict:
    """Run the suite, publish its Data Docs, and decide; the caller records the outcome (:func:`record`)."""
    submission_id = staged.submission_id
    with tempfile.TemporaryDirectory(prefix="bansos-gx-") as tmp:
        suite_results, page = run_suite(dsn, submission_id, run_id, parameters, Path(tmp))
        prefix = datadocs_folder(staged.province, staged.periode, staged.kode_kabkota, submission_id)
        docs_key = publish_data_docs(store, Path(tmp), prefix, page)  # the validation page, never the index
    results = list(extra) + suite_results
    verdict = Verdict(
        accepted=not any(not r.success and r.severity == "error" for r in results),
        results=results,
        data_docs_key=docs_key,
    )
    for r in verdict.failed_errors + verdict.failed_warnings:
        log.warning(
            "submission %s: %s %s failed on %s rows (%s)",
            submission_id,
            r.severity,
            r.rule,
            r.count,
            list(r.examples),
        )
    return verdict
