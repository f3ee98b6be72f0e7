"""GX's own Python per validation, without work it repeats: the same results, fewer CPU-seconds.

Most of a small validation's CPU is GX building its metric graph in Python (issue 14 and issue 10
item 7, docs/decisions.md: `make check` and `make demo` each run a hundred validations). Four kinds of
work it repeats dominate it, and :func:`install` removes the repetition without changing what GX computes:

* **An expectation's configuration, once per kwargs lookup.** ``Expectation._get_runtime_kwargs``,
  ``_get_success_kwargs``, ``_get_domain_kwargs`` and ``_get_success_kwarg`` read each key from
  ``self.configuration``, a property that serialises the whole expectation (pydantic ``.dict()``)
  into a new ``ExpectationConfiguration`` on every access: about 6,000 for the 52 rules, a key at a
  time. For the duration of the outermost of those calls on one expectation, the property is built on
  its first access and the same object returned to the later ones (nothing changes the expectation
  while they read it); the memo is dropped when the call returns, so every other access builds a new
  configuration as shipped.
* **Ids of plain kwargs without GX's generic converter.** Every metric (about 4,000 per validation)
  is identified by the MD5 of its kwargs as JSON (``IDDict.to_id``), after GX's
  ``convert_to_json_serializable`` walked them with some twenty type checks per value (numpy's
  included). For kwargs made only of ``str``, ``int``, ``bool``, ``None``, finite ``float`` and lists,
  tuples and string-keyed dicts of those, the converter returns the same values (tuples as lists,
  which JSON writes alike), so the id is computed from them directly; anything else goes through
  GX's own ``to_id``.

* **A metric's dependencies, once per validation.** The rules' metrics share their dependencies (the
  table's columns, its row count, a column's nonnull condition...): GX asks each metric's provider for
  them (``get_evaluation_dependencies``, new ``MetricConfiguration`` objects each time) wherever the metric
  appears, several times for each distinct metric of a validation. The answer depends only on
  the metric (its id), the execution engine and the runtime configuration, so it is kept on the engine,
  which lives for one validation, and handed again to the next asker of the same metric; the graph is
  built of the same edges, by id, as GX builds it.

* **An expectation's validation dependencies, once per validation.** GX asks each rule for the metrics it
  needs (``get_validation_dependencies``) twice: to build the metric graph, and again after the metrics are
  computed (``metrics_validate``), from a new expectation object of the same configuration. The answer
  depends only on the expectation's class and fields, the execution engine and the runtime configuration,
  so the first is kept on the engine and given again to the second. Only a rule's own method keeps its
  answer: a subclass's call of its parent's method (``super()``) runs as shipped.

``tests/validate/test_gx_python.py`` checks them against GX as shipped: the same kwargs for every rule of
the suite, the same ids, and the same results of a validation.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import threading

LOOKUPS = ("_get_runtime_kwargs", "_get_success_kwargs", "_get_domain_kwargs", "_get_success_kwarg")
SHIPPED: dict[str, object] = {}  # GX's own methods, the property's getter and to_id, once install() wrapped them

_memo = threading.local()  # id(expectation) -> its configuration (None until built), while a lookup runs on it


def _held() -> dict:
    if not hasattr(_memo, "configurations"):
        _memo.configurations = {}
    return _memo.configurations


def configuration_once(build):
    """The ``configuration`` property's getter: ``build(self)`` as shipped, except inside a lookup on ``self``,
    where the first access builds it and the later ones get the same object."""

    def configuration(self):
        held = _held()
        key = id(self)
        if key not in held:  # not inside a lookup on this expectation: as shipped
            return build(self)
        if held[key] is None:
            held[key] = build(self)
        return held[key]

    return configuration


def _lookup_once(method):
    @functools.wraps(method)
    def lookup(self, *args, **kwargs):
        held = _held()
        key = id(self)
        if key in held:  # an inner lookup of the same call: the memo is already there
            return method(self, *args, **kwargs)
        held[key] = None
        try:
            return method(self, *args, **kwargs)
        finally:
            del held[key]

    return lookup


def _install_configuration_once(expectation_class) -> None:
    build = SHIPPED["configuration"] = expectation_class.configuration.fget
    for name in LOOKUPS:
        SHIPPED[name] = getattr(expectation_class, name)
        setattr(expectation_class, name, _lookup_once(SHIPPED[name]))
    expectation_class.configuration = property(configuration_once(build), doc=expectation_class.configuration.__doc__)


def plain(value) -> bool:
    """JSON as it is: what GX's ``convert_to_json_serializable`` returns unchanged (tuples become lists)."""
    kind = type(value)
    if value is None or kind is str or kind is int or kind is bool:
        return True
    if kind is float:
        return not math.isnan(value)
    if kind is list or kind is tuple:
        return all(plain(v) for v in value)
    if kind is dict:
        return all(type(k) is str and plain(v) for k, v in value.items())
    return False


def _install_plain_ids(id_dict_class) -> None:
    shipped = SHIPPED["to_id"] = id_dict_class.to_id

    @functools.wraps(shipped)
    def to_id(self, id_keys=None, id_ignore_keys=None):
        keys = set(self.keys() if id_keys is None else id_keys)
        keys -= set(self._id_ignore_keys if id_ignore_keys is None else id_ignore_keys)
        if len(keys) > 1:  # GX's own branch that converts and hashes
            data = {k: self[k] for k in keys}
            if plain(data):
                text = json.dumps(data, sort_keys=True)
                return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()
        return shipped(self, id_keys, id_ignore_keys)

    id_dict_class.to_id = to_id


def _runtime_key(runtime_configuration) -> str:
    return json.dumps(runtime_configuration, sort_keys=True, default=repr)


def _install_dependencies_once(graph_class) -> None:
    shipped = SHIPPED["build_metric_dependency_graph"] = graph_class.build_metric_dependency_graph

    @functools.wraps(shipped)
    def build_metric_dependency_graph(self, metric_configuration, runtime_configuration=None):
        # GX's own method, line for line, but for where the dependencies come from
        from great_expectations.validator.validation_graph import MetricEdge, logger

        klass, _ = self.set_metric_configuration_default_kwargs_if_absent(metric_configuration=metric_configuration)
        held = self._execution_engine.__dict__.setdefault("_bansos_dependencies", {})
        key = (metric_configuration.id, _runtime_key(runtime_configuration))
        if key not in held:
            held[key] = klass.get_evaluation_dependencies(
                metric=metric_configuration, execution_engine=self._execution_engine,
                runtime_configuration=runtime_configuration)
        metric_dependencies = held[key]
        if len(metric_dependencies) == 0:
            self.add(MetricEdge(left=metric_configuration))
            return
        metric_configuration.metric_dependencies = metric_dependencies
        for metric_dependency in metric_dependencies.values():
            if metric_dependency.id == metric_configuration.id:
                logger.warning(f"Metric {metric_configuration.id!s} has created a circular dependency")
                continue
            self.add(MetricEdge(left=metric_configuration, right=metric_dependency))
            self.build_metric_dependency_graph(
                metric_configuration=metric_dependency, runtime_configuration=runtime_configuration)

    graph_class.build_metric_dependency_graph = build_metric_dependency_graph


def _validation_dependencies_once(method):
    @functools.wraps(method)
    def get_validation_dependencies(self, execution_engine=None, runtime_configuration=None, **kwargs):
        # kept only where this is the rule's own method: a subclass's call of its parent's (super()) and a class
        # defined after install() (its own method not wrapped) run as shipped
        if type(self).get_validation_dependencies is not get_validation_dependencies or execution_engine is None \
                or kwargs:
            return method(self, execution_engine, runtime_configuration, **kwargs)
        held = execution_engine.__dict__.setdefault("_bansos_validation_dependencies", {})
        rule = (type(self), json.dumps(self.__dict__, sort_keys=True, default=repr))
        key = (*rule, _runtime_key(runtime_configuration))
        if key not in held:
            held[key] = method(self, execution_engine, runtime_configuration)
            # GX completes the caller's result format in place (parse_result_format): metrics_validate asks
            # again with a copy of the completed one, which gets the same answer
            held.setdefault((*rule, _runtime_key(runtime_configuration)), held[key])
        return held[key]

    return get_validation_dependencies


def _subclasses(cls) -> list:
    found = [cls]
    for sub in cls.__subclasses__():
        found += _subclasses(sub)
    return found


def _install_validation_dependencies_once(expectation_class) -> None:
    shipped = SHIPPED["get_validation_dependencies"] = {}
    for cls in dict.fromkeys(_subclasses(expectation_class)):
        if "get_validation_dependencies" in cls.__dict__:
            shipped[cls] = cls.__dict__["get_validation_dependencies"]
            cls.get_validation_dependencies = _validation_dependencies_once(shipped[cls])


def install() -> None:
    """Install all four once per process (idempotent)."""
    from great_expectations.core.id_dict import IDDict
    from great_expectations.expectations.expectation import Expectation
    from great_expectations.validator.validation_graph import ValidationGraph

    if getattr(Expectation, "_bansos_gx_python", False):
        return
    _install_configuration_once(Expectation)
    _install_plain_ids(IDDict)
    _install_dependencies_once(ValidationGraph)
    _install_validation_dependencies_once(Expectation)
    Expectation._bansos_gx_python = True
