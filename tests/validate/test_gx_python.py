"""GX's metric graph without the work it repeats (:mod:`bansos.validate.gx_python`), against GX as shipped.

Every rule of the project's suite must get the same kwargs from the wrapped lookups as from GX's own, with
its configuration built once per lookup instead of once per key; every metric id must be GX's own, computed
without GX's converter only where the kwargs are plain JSON. The whole validation is compared with GX as
shipped in ``test_gx_project.py``.
"""

from __future__ import annotations

import copy
import enum
import os

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from great_expectations.core import id_dict  # noqa: E402
from great_expectations.core.id_dict import IDDict  # noqa: E402
from great_expectations.expectations.expectation import Expectation  # noqa: E402
from great_expectations.expectations.expectation_configuration import ExpectationConfiguration  # noqa: E402
from great_expectations.validator.validation_graph import ValidationGraph  # noqa: E402

from bansos.validate import gx_python, validate  # noqa: E402

gx_python.install()
RUNTIME = {"result_format": {"result_format": "SUMMARY", "unexpected_index_column_names": validate.EXAMPLE_KEYS,
                             "partial_unexpected_count": validate.MAX_EXAMPLES}}


def _shipped(monkeypatch) -> None:
    """Put GX's own lookups, configuration property, ``to_id``, dependency graph and validation dependencies back
    for the rest of the test."""
    for name in gx_python.LOOKUPS:
        monkeypatch.setattr(Expectation, name, gx_python.SHIPPED[name])
    monkeypatch.setattr(Expectation, "configuration", property(gx_python.SHIPPED["configuration"]))
    monkeypatch.setattr(IDDict, "to_id", gx_python.SHIPPED["to_id"])
    monkeypatch.setattr(ValidationGraph, "build_metric_dependency_graph",
                        gx_python.SHIPPED["build_metric_dependency_graph"])
    for cls, method in gx_python.SHIPPED["get_validation_dependencies"].items():
        monkeypatch.setattr(cls, "get_validation_dependencies", method)


def _suite_expectations() -> list[Expectation]:
    suite = validate.load_suite_json()
    expectations = []
    for entry in suite["expectations"]:
        kwargs = {**entry["kwargs"], "batch_id": "warehouse-submission_1"}
        config = ExpectationConfiguration(type=entry["type"], kwargs=kwargs, meta=entry.get("meta"),
                                          severity=entry.get("severity", "critical"))
        expectations.append(config.to_domain_obj())
    assert len(expectations) > 40, "the project's suite was read"
    return expectations


def _lookups(expectation: Expectation) -> tuple:
    return (expectation._get_runtime_kwargs(runtime_configuration=RUNTIME), expectation._get_success_kwargs(),
            expectation._get_domain_kwargs(), expectation._get_success_kwarg("mostly"),
            expectation._get_success_kwarg("value_set", "none"))


def test_every_rule_of_the_suite_gets_the_kwargs_gx_as_shipped_gives(monkeypatch):
    expectations = _suite_expectations()
    wrapped = [_lookups(e) for e in expectations]
    with monkeypatch.context() as m:
        _shipped(m)
        shipped = [_lookups(e) for e in expectations]
    assert wrapped == shipped
    assert any(w[0].get("mostly") for w in wrapped) and any(w[0].get("value_set") for w in wrapped)


def test_a_lookup_builds_the_configuration_once_and_only_while_it_runs(monkeypatch):
    builds = []
    build = gx_python.SHIPPED["configuration"]

    def counted(self):
        builds.append(id(self))
        return build(self)

    expectation = next(e for e in _suite_expectations() if e._get_success_kwarg("value_set") is not None)
    with monkeypatch.context() as m:
        _shipped(m)
        m.setattr(Expectation, "configuration", property(counted))
        expectation._get_runtime_kwargs(runtime_configuration=RUNTIME)
    assert len(builds) > 5, "GX as shipped builds the configuration once per key"

    builds.clear()
    monkeypatch.setattr(Expectation, "configuration", property(gx_python.configuration_once(counted)))
    expectation._get_runtime_kwargs(runtime_configuration=RUNTIME)
    assert len(builds) == 1, f"one build per lookup, not {len(builds)}"
    first, second = expectation.configuration, expectation.configuration
    assert first is not second and first.to_json_dict() == second.to_json_dict(), (
        "outside a lookup: a new configuration each time, as shipped")
    assert gx_python._held() == {}, "no memo left behind"


class Colour(enum.Enum):
    RED = "red"


PLAIN = [
    {"column": "nik_format_ok", "batch_id": "warehouse-submission_1", "row_condition": None, "condition_parser": None},
    {"value_set": [True], "parse_strings_as_datetimes": False, "mostly": 0.95,
     "result_format": {"result_format": "SUMMARY", "unexpected_index_column_names": ["source_line", "nik_masked"],
                       "partial_unexpected_count": 5, "include_unexpected_rows": False}},
    {"value_set": ("error",), "min_value": 1, "max_value": 1.5e3, "nested": [[1, "a"], {"b": None}], "empty": []},
]
NOT_PLAIN = [
    {"value_set": {"b", "a"}, "column": "x"},  # a set: GX sorts nothing, converts it to a list
    {"count": np.int64(3), "column": "x"},
    {"share": np.float64(0.1234567890123456789), "column": "x"},
    {"missing": float("nan"), "column": "x"},
    {"colour": Colour.RED, "column": "x"},
    {"nested": {1: "one"}, "column": "x"},
    {"ids": IDDict({"a": 1, "b": 2}), "column": "x"},
]


@pytest.mark.parametrize("data", PLAIN + NOT_PLAIN)
def test_metric_ids_are_gxs_own(data, monkeypatch):
    wrapped = IDDict(data).to_id()
    ignored = IDDict(data).to_id(id_ignore_keys={"column"})
    with monkeypatch.context() as m:
        _shipped(m)
        assert wrapped == IDDict(data).to_id()
        assert ignored == IDDict(data).to_id(id_ignore_keys={"column"})


def test_only_plain_kwargs_skip_gxs_converter(monkeypatch):
    converted = []
    convert = id_dict.convert_to_json_serializable
    monkeypatch.setattr(id_dict, "convert_to_json_serializable", lambda data: converted.append(data) or convert(data))
    for data in PLAIN:
        IDDict(data).to_id()
    assert converted == []
    for data in NOT_PLAIN:
        IDDict(data).to_id()
    assert len(converted) == len(NOT_PLAIN)
    assert IDDict({"column": "x"}).to_id() == "column=x", "a single key stays GX's own 'key=value'"


def _dependencies(engine) -> list:
    """Each rule's validation dependencies (metric ids, result format) and its metric graph's edges."""
    from great_expectations.validator.metrics_calculator import MetricsCalculator

    out = []
    for expectation in _suite_expectations():
        needed = expectation.get_validation_dependencies(execution_engine=engine, runtime_configuration=RUNTIME)
        metrics = needed.get_metric_configurations()
        graph = MetricsCalculator(execution_engine=engine).build_metric_dependency_graph(metrics, RUNTIME)
        out.append((sorted(m.id for m in metrics), needed.result_format, sorted(graph.edge_ids, key=str)))
    return out


def test_every_rules_dependencies_and_graph_are_gxs_own_each_metric_asked_once(monkeypatch):
    from great_expectations.execution_engine import PandasExecutionEngine
    from great_expectations.expectations.metrics.metric_provider import MetricProvider

    asked = []
    ask = MetricProvider.get_evaluation_dependencies.__func__
    monkeypatch.setattr(MetricProvider, "get_evaluation_dependencies",
                        classmethod(lambda cls, metric, **kw: asked.append(metric.id) or ask(cls, metric, **kw)))
    engine = PandasExecutionEngine()
    wrapped = _dependencies(engine)
    wrapped_asked = list(asked)
    asked.clear()
    with monkeypatch.context() as m:
        _shipped(m)
        shipped = _dependencies(PandasExecutionEngine())
    assert wrapped == shipped
    assert len(wrapped_asked) == len(set(wrapped_asked)), "each metric's provider asked once per engine"
    assert len(asked) > 3 * len(wrapped_asked), f"GX as shipped asks again wherever a metric recurs: {len(asked)}"
    held = engine.__dict__["_bansos_validation_dependencies"]
    assert len(held) == len(_suite_expectations()), "one answer kept per rule"


def test_the_second_ask_of_a_rule_gets_the_first_answer_and_a_parents_call_runs_as_shipped():
    from great_expectations.execution_engine import PandasExecutionEngine
    from great_expectations.expectations.core.expect_column_values_to_be_null import ExpectColumnValuesToBeNull

    engine = PandasExecutionEngine()
    null_rule = next(e for e in _suite_expectations() if isinstance(e, ExpectColumnValuesToBeNull))
    as_given = {"result_format": {"result_format": "SUMMARY", "unexpected_index_column_names": validate.EXAMPLE_KEYS,
                                  "partial_unexpected_count": validate.MAX_EXAMPLES}}
    runtime = copy.deepcopy(as_given)
    first = null_rule.get_validation_dependencies(execution_engine=engine, runtime_configuration=runtime)
    assert runtime != as_given, "GX completed the result format in place"
    # as metrics_validate asks: a new expectation of the same configuration, a copy of the completed configuration
    again = null_rule.configuration.to_domain_obj().get_validation_dependencies(
        execution_engine=engine, runtime_configuration=copy.deepcopy(runtime))
    assert again is first, "the same rule on the same engine: GX's second ask answered from the first"
    assert null_rule.get_validation_dependencies(
        execution_engine=engine, runtime_configuration=copy.deepcopy(as_given)) is first, "asked as first given"
    other = null_rule.get_validation_dependencies(
        execution_engine=engine, runtime_configuration={"result_format": "COMPLETE"})
    assert other is not first, "another runtime configuration is another question"
    assert null_rule.get_validation_dependencies(
        execution_engine=PandasExecutionEngine(), runtime_configuration=RUNTIME) is not first, "nor kept across engines"
    # ExpectColumnValuesToBeNull's own method calls ColumnMapExpectation's (super()) and changes what it returns:
    # only the rule's own method keeps its answer, so the parent's answer is not mistaken for the rule's
    shipped = gx_python.SHIPPED["get_validation_dependencies"][ExpectColumnValuesToBeNull]
    as_shipped = shipped(null_rule, execution_engine=PandasExecutionEngine(),
                         runtime_configuration=copy.deepcopy(runtime))
    assert {name: m.id for name, m in first.metric_configurations.items()} == {
        name: m.id for name, m in as_shipped.metric_configurations.items()}
    assert "column_values.null.unexpected_count" in first.metric_configurations, "the rule's own metric"


def test_a_parents_method_called_by_a_subclass_keeps_nothing():
    """A rule class defined after install() (a custom expectation) that calls its parent's method: the parent's
    answer is computed for each call, since the subclass may change it in place (ExpectColumnValuesToBeNull
    removes a metric from ColumnMapExpectation's answer)."""
    from great_expectations.execution_engine import PandasExecutionEngine
    from great_expectations.expectations.core.expect_column_values_to_be_null import ExpectColumnValuesToBeNull

    parents_answers = []

    class CustomNull(ExpectColumnValuesToBeNull):
        def get_validation_dependencies(self, execution_engine=None, runtime_configuration=None, **kwargs):
            answer = super().get_validation_dependencies(execution_engine, runtime_configuration)
            parents_answers.append(answer)
            return answer

    engine = PandasExecutionEngine()
    rule = CustomNull(column="excluded_reason", batch_id="warehouse-submission_1")
    for _ in range(2):
        rule.get_validation_dependencies(execution_engine=engine, runtime_configuration=copy.deepcopy(RUNTIME))
    assert parents_answers[0] is not parents_answers[1]
    assert "_bansos_validation_dependencies" not in engine.__dict__
