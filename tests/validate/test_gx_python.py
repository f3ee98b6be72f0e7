"""GX's metric graph without the work it repeats (:mod:`bansos.validate.gx_python`), against GX as shipped.

Every rule of the project's suite must get the same kwargs from the wrapped lookups as from GX's own, with
its configuration built once per lookup instead of once per key; every metric id must be GX's own, computed
without GX's converter only where the kwargs are plain JSON. The whole validation is compared with GX as
shipped in ``test_gx_project.py``.
"""

from __future__ import annotations

import enum
import os

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from great_expectations.core import id_dict  # noqa: E402
from great_expectations.core.id_dict import IDDict  # noqa: E402
from great_expectations.expectations.expectation import Expectation  # noqa: E402
from great_expectations.expectations.expectation_configuration import ExpectationConfiguration  # noqa: E402

from bansos.validate import gx_python, validate  # noqa: E402

gx_python.install()
RUNTIME = {"result_format": {"result_format": "SUMMARY", "unexpected_index_column_names": validate.EXAMPLE_KEYS,
                             "partial_unexpected_count": validate.MAX_EXAMPLES}}


def _shipped(monkeypatch) -> None:
    """Put GX's own lookups, configuration property and ``to_id`` back for the rest of the test."""
    for name in gx_python.LOOKUPS:
        monkeypatch.setattr(Expectation, name, gx_python.SHIPPED[name])
    monkeypatch.setattr(Expectation, "configuration", property(gx_python.SHIPPED["configuration"]))
    monkeypatch.setattr(IDDict, "to_id", gx_python.SHIPPED["to_id"])


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
