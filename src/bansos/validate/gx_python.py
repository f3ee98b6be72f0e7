"""GX's own Python per validation, without work it repeats: the same results, fewer CPU-seconds.

Most of a small validation's CPU is GX building its metric graph in Python (issue 14 and issue 10
item 7, docs/decisions.md: `make check` and `make demo` each run a hundred validations). Two things
dominate it, and :func:`install` removes their repetition without changing what GX computes:

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

``tests/validate/test_gx_python.py`` checks both against GX as shipped: the same kwargs for every rule of
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


def install() -> None:
    """Install both once per process (idempotent)."""
    from great_expectations.core.id_dict import IDDict
    from great_expectations.expectations.expectation import Expectation

    if getattr(Expectation, "_bansos_gx_python", False):
        return
    _install_configuration_once(Expectation)
    _install_plain_ids(IDDict)
    Expectation._bansos_gx_python = True
