"""What a kab/kota branch's tasks hand each other: one frozen type per step's output, and its XCom form.

A branch runs extract and stage (one task), then validate, then merge. Each step returns one of
:class:`Found`, :class:`Staged`, :class:`Validated` or :class:`Merged`, or ends the branch with
:class:`Rejected`, :class:`Held` or :class:`Skipped`; its ``state`` (:class:`BranchState`) says whether the next
step goes on (``process``) or how the branch ended. Only :attr:`Handoff.goes_on` decides that.

Between tasks a hand-off travels as a small JSON object made by :func:`to_xcom` and read back by
:func:`from_xcom`, the only two places that know its form: its ``kind``, its state as ``action``,
and codes, ids and counts. Never a path, a file name or data: a step that needs the file reads it
from ``raw.submission`` by the submission's id.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum
from typing import ClassVar

from bansos.domain.outcome import RuleOutcome


class BranchState(StrEnum):
    PROCESS = "process"  # the next step goes on
    MISSING = "missing"  # nothing landed (by the deadline)
    UNCHANGED = "unchanged"  # the same bytes as a submission already decided, or the batch already loaded
    SKIPPED = "skipped"  # another run holds the submission, or decided it meanwhile: this run leaves it
    REJECTED = "rejected"  # quarantined with its reasons and alerted
    LOADED = "loaded"  # merged: the kab/kota-month's new batch
    STALE = "stale"  # landed before the batch already loaded: kept as history only
    HELD = "held"  # validated, but an approval locks the kab/kota-month: waits for an unlock (issue 13)


@dataclass(frozen=True, kw_only=True)
class Handoff:
    """The branch (province, period, kab/kota) and its state; each subclass allows the states in ``STATES``."""

    STATES: ClassVar[frozenset[BranchState]] = frozenset()

    province: str
    periode: str
    kode_kabkota: str
    state: BranchState

    def __post_init__(self):
        try:
            state = BranchState(self.state)
        except ValueError:
            raise ValueError(f"unknown branch state {self.state!r}") from None
        if state not in self.STATES:
            raise ValueError(f"a {type(self).__name__} hand-off cannot be {state.value!r}")
        object.__setattr__(self, "state", state)

    @property
    def goes_on(self) -> bool:
        """Whether the branch's next step runs; otherwise the branch ends here (a skip, not a failure)."""
        return self.state is BranchState.PROCESS

    def ending(self) -> str:
        """How the branch stands, for the task's log and its skip: ``"21.71 2022-03: unchanged"``."""
        return f"{self.kode_kabkota} {self.periode}: {self.state.value}"


@dataclass(frozen=True, kw_only=True)
class Found(Handoff):
    """Extract's output: the kab/kota-month's newest submission, or nothing (``missing``); ``held`` when the
    newest is a correction held earlier and its month is still locked (nothing to do until an unlock).

    ``unread``: other new submissions of the month in a format the pipeline does not read (a PDF beside
    the extract, an old ``.xls``); the stage rejects each before it stages the month's file.
    """

    STATES: ClassVar = frozenset({BranchState.PROCESS, BranchState.UNCHANGED, BranchState.MISSING,
                                  BranchState.HELD})

    submission_id: int | None = None
    waited: str | None = None  # "arrived" or "deadline", when the branch waited for its file
    unread: tuple[int, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Staged(Found):
    """Stage's output: the run's staging tables hold ``rows`` rows of the file, read as ``format``."""

    STATES: ClassVar = frozenset({BranchState.PROCESS})

    state: BranchState = BranchState.PROCESS
    submission_id: int
    rows: int
    format: str  # "csv" or "xlsx"
    encoding: str
    delimiter: str
    unknown_columns: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Validated(Staged):
    """Validate's output: accepted, with the warning rules that failed."""

    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Merged(Handoff):
    """Merge's output: ``loaded`` as batch ``batch_id`` (replacing ``replaced_batch_id``), ``unchanged``, ``stale``."""

    STATES: ClassVar = frozenset({BranchState.LOADED, BranchState.UNCHANGED, BranchState.STALE})

    submission_id: int
    batch_id: int | None
    rows: int
    replaced_batch_id: int | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Rejected(Handoff):
    """The file was rejected for ``reasons``: quarantined, recorded, alerted (``alerted``: each channel's state)."""

    STATES: ClassVar = frozenset({BranchState.REJECTED})

    submission_id: int
    reasons: tuple[RuleOutcome, ...]
    state: BranchState = BranchState.REJECTED
    rows: int | None = None
    alerted: dict[str, bool] | None = None


@dataclass(frozen=True, kw_only=True)
class Held(Handoff):
    """Merge's answer for a locked month: the accepted correction is archived and validated but not merged; it
    waits as "held: month locked" until an unlock (``approved_batch_id``: the approved batch that stays loaded)."""

    STATES: ClassVar = frozenset({BranchState.HELD})
    REASON: ClassVar[str] = "held: month locked"

    state: BranchState = BranchState.HELD
    submission_id: int
    rows: int | None = None
    approved_batch_id: int | None = None
    warnings: tuple[str, ...] = ()
    alerted: dict[str, bool] | None = None

    def ending(self) -> str:
        return f"{self.kode_kabkota} {self.periode}: {self.REASON} (submission {self.submission_id})"


@dataclass(frozen=True, kw_only=True)
class Skipped(Handoff):
    """This run leaves the submission: ``reason`` says which run holds it or what decided it."""

    STATES: ClassVar = frozenset({BranchState.SKIPPED})

    state: BranchState = BranchState.SKIPPED
    submission_id: int | None
    reason: str


KINDS: dict[str, type[Handoff]] = {cls.__name__.lower(): cls for cls in (Found, Staged, Validated, Merged,
                                                                          Rejected, Held, Skipped)}


def to_xcom(handoff: Handoff) -> dict:
    """The hand-off as its task returns it: ``kind``, ``action`` (the state) and its fields, JSON-ready."""
    data = {"kind": type(handoff).__name__.lower()}
    for f in fields(handoff):
        value = getattr(handoff, f.name)
        if f.name == "state":
            data["action"] = value.value
        elif f.name == "reasons":
            data["reasons"] = [reason.to_dict() for reason in value]
        elif isinstance(value, tuple):
            data[f.name] = list(value)
        else:
            data[f.name] = value
    return data


def from_xcom(data: dict) -> Handoff:
    """The hand-off a task received; a form :func:`to_xcom` does not make is a ``ValueError`` naming what is wrong."""
    kind = data.get("kind")
    if kind not in KINDS:
        raise ValueError(f"unknown hand-off kind {kind!r} (known: {', '.join(KINDS)})")
    cls = KINDS[kind]
    names = {"action" if f.name == "state" else f.name: f for f in fields(cls)}
    unknown = sorted(set(data) - set(names) - {"kind"})
    if unknown:
        raise ValueError(f"a {kind} hand-off has no field(s) {', '.join(unknown)}")
    values = {}
    for key, f in names.items():
        if key not in data:
            continue
        value = data[key]
        if f.name == "reasons":
            value = tuple(RuleOutcome.from_dict(reason) for reason in value)
        elif isinstance(value, list):
            value = tuple(value)
        values[f.name] = value
    try:
        return cls(**values)
    except TypeError as exc:  # a required field is missing
        raise ValueError(f"a {kind} hand-off is incomplete: {exc}") from None
