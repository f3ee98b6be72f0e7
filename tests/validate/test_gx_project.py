"""The throw-away GX project each validation creates, as :mod:`bansos.validate.validate` sets it up.

Since issue 14's cut of GX's own Python (docs/decisions.md) a validation runs in an ephemeral context with
:mod:`bansos.validate.gx_python` installed, and without a checkpoint. Here a real staged extract with failing
rules is validated both ways: as now, and as before (a file project, a checkpoint, GX's own metric-graph
code), and the rule outcomes and the Data Docs pages must be the same, up to what differs between any two
runs (the run time, GX's random element ids). Python's cyclic garbage collector is paused while GX runs,
and left as it was after.
"""

from __future__ import annotations

import gc
import os
import re
from pathlib import Path

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import great_expectations as gx  # noqa: E402
import pytest  # noqa: E402

from bansos.domain.handoff import from_xcom  # noqa: E402
from bansos.orchestration import steps  # noqa: E402
from bansos.validate import datadocs, history, validate  # noqa: E402
from tests.pipeline import land, source_file  # noqa: E402
from tests.validate.test_gx_python import _shipped  # noqa: E402
from tools.synthetic.defects import make_defective  # noqa: E402

PERIODE, KODE, DEFECT = "2022-03", "21.05", "nik_short"
# what differs between two runs of the same validation: GX's random ids, the run time
RUN_SPECIFIC = [
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<uuid>"),
    (re.compile(r"\d{8}T\d{6}\.\d{6}Z"), "<run>"),
    (re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(\+00:00|Z)?"), "<time>"),
    (re.compile(r"'_run_time_sort': [0-9.]+"), "'_run_time_sort': <n>"),
]


def _checkpoint_run(context, batch, suite, parameters):
    """How a validation ran before: a validation definition and a checkpoint whose action builds the Data Docs."""
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=batch.data_asset.name, data=batch, suite=suite)
    )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name=definition.name,
            validation_definitions=[definition],
            actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs")],
            result_format=validate.RESULT_FORMAT,
        )
    )
    (result,) = checkpoint.run(expectation_parameters=parameters).run_results.values()
    return result


def _as_before(monkeypatch) -> None:
    """The project and GX code of a validation before the changes: a file project, a validation definition
    and a checkpoint, GX's own site builder (the site's in a file project), lookups, ids and dependency graph."""
    real = gx.get_context

    def file_project(mode, project_config):
        docs_dir = project_config
        context = real(mode="file", project_root_dir=str(docs_dir))
        (docs_dir / "gx" / "uncommitted" / "config_variables.yml").unlink(missing_ok=True)
        context.variables.progress_bars = {"globally": False}
        return context

    monkeypatch.setattr(validate, "_project_config", lambda docs_dir: docs_dir)
    monkeypatch.setattr(validate, "_run_and_build_docs", _checkpoint_run)
    monkeypatch.setattr(gx, "get_context", file_project)
    _shipped(monkeypatch)


def _pages(docs_dir: Path) -> dict[str, str]:
    """The site's pages as they are published (GX's logo URL, whose query string a file project ends with its
    project's id, loses it there)."""
    pages = {}
    for path in sorted((docs_dir / datadocs.SITE).rglob("*.html")):
        key = path.relative_to(docs_dir / datadocs.SITE).as_posix()
        text = datadocs.rewrite_page(path.read_text(encoding="utf-8"), f"datadocs/21/{PERIODE}/{KODE}/s/{key}")
        for pattern, placeholder in RUN_SPECIFIC:
            text, key = pattern.sub(placeholder, text), pattern.sub(placeholder, key)
        pages[key] = text
    return pages


def test_a_validation_gives_the_outcomes_and_pages_it_gave_before(runtime_env, kepri2022, tmp_path, monkeypatch):
    data, suffix = make_defective(DEFECT, source_file(kepri2022, PERIODE, KODE).read_bytes(), KODE)
    land(runtime_env["root"], kepri2022, PERIODE, KODE, name=f"koreksi{suffix}", content=data)
    staged = from_xcom(steps.stage(steps.extract("21", PERIODE, KODE), "gx-project"))
    parameters = history.row_count_bounds(runtime_env["dsn"], "21", PERIODE, KODE)

    def run(name):
        return validate.run_suite(runtime_env["dsn"], staged.submission_id, "gx-project", parameters, tmp_path / name)

    collector = []
    translate = validate._translate
    monkeypatch.setattr(validate, "_translate", lambda outcome: collector.append(gc.isenabled()) or translate(outcome))
    now, now_page = run("now")
    assert collector == [False] and gc.isenabled(), "the cyclic collector paused while GX ran, and on again"
    with monkeypatch.context() as before:
        _as_before(before)
        then, then_page = run("before")

    assert now == then
    failed = [r for r in now if not r.success]
    assert [r.rule for r in failed] == ["nik_format"] and failed[0].examples, "a rule failed, with its rows"
    assert _pages(tmp_path / "now") == _pages(tmp_path / "before")
    assert set(_pages(tmp_path / "now")) == {"index.html", "expectations/monthly_extract.html",
                                              f"validations/monthly_extract/__none__/<run>/warehouse-submission_{staged.submission_id}.html"}
    assert now_page.parent.parent == then_page.parent.parent and now_page.name == then_page.name
    written = {p.relative_to(tmp_path / "now").parts[:len(datadocs.SITE.parts)]
               for p in (tmp_path / "now").rglob("*") if p.is_file()}
    assert written == {datadocs.SITE.parts}, "the project itself is in memory: only the site is written"
    assert not (tmp_path / "now" / datadocs.SITE / "static").exists(), "GX's static folder is not copied"
    assert (tmp_path / "before" / datadocs.SITE / "static").is_dir(), "GX's own site builder copies it"
    assert (tmp_path / "before" / "gx" / "great_expectations.yml").exists(), "the comparison ran a file project"


def test_the_cyclic_collector_is_paused_and_left_as_it_was():
    assert gc.isenabled()
    with validate.cyclic_gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), validate.cyclic_gc_paused():
        raise RuntimeError("a rule could not run")
    assert gc.isenabled(), "on again after an error too"
    gc.disable()
    try:
        with validate.cyclic_gc_paused():
            pass
        assert not gc.isenabled(), "a collector the caller had turned off stays off"
    finally:
        gc.enable()


def test_a_rule_error_is_read_from_both_forms_of_gxs_exception_info():
    from great_expectations.validator.exception_info import ExceptionInfo

    raised = ExceptionInfo(exception_traceback="...", exception_message="canceling statement due to statement timeout")
    keyed = {"('column_values.nonnull.unexpected_count', 'abc', ())": raised}  # a metric whose query failed
    assert validate._run_errors(keyed) == ["canceling statement due to statement timeout"]
    assert validate._run_errors(dict(raised)) == ["canceling statement due to statement timeout"]  # the expectation
    assert validate._run_errors({"raised_exception": False, "exception_message": None}) == []
    assert validate._first_line("(psycopg2.errors.X) bad value 2171015505800002\n[SQL: SELECT ...]") == (
        "(psycopg2.errors.X) bad value 2171********0002"
    )
