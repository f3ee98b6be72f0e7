"""The throw-away GX project each validation creates, as :mod:`bansos.validate.validate` sets it up."""

from __future__ import annotations

import os

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import great_expectations as gx  # noqa: E402

from bansos.validate import validate


def test_the_project_has_no_config_variables_file_and_gx_reads_none(tmp_path, monkeypatch):
    context = gx.get_context(mode="file", project_root_dir=str(tmp_path))
    template = tmp_path / "gx" / "uncommitted" / "config_variables.yml"
    assert template.exists(), "GX no longer writes the template: the workaround can go"
    validate._drop_config_variables_template(tmp_path)
    assert not template.exists()
    # a missing file is GX's "no variables": substitution still works, from the environment only
    monkeypatch.setenv("BANSOS_TEST_GX_VARIABLE", "from-the-environment")
    values = context.config_provider.get_values()
    assert values["BANSOS_TEST_GX_VARIABLE"] == "from-the-environment"
    assert context.config_provider.substitute_config("${BANSOS_TEST_GX_VARIABLE}") == "from-the-environment"


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
