"""Record the approver's answer on a province-month, unlock approved months, and ask whether one is locked.

Why every decision is a new row of ``core.approval`` (append-only, enforced by triggers in migration 0037)
rather than a status column: a province publishes figures under its head's name, so who decided what, when,
on which batches and through which channel must survive every later change; the current state is derived
(``core.kabkota_month_approval``). A decision covers the batches loaded when it is recorded, and the request
the approver saw may be passed in: if a batch changed in between, the answer is refused (``StaleRequest``)
instead of signing figures nobody looked at.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from bansos.warehouse import sqlfiles
from bansos.warehouse.database import connect

DECISIONS = ("approved", "approved_with_held", "rejected")
SOURCES = ("ui", "rest", "cli")


class StaleRequest(ValueError):
    """The month's batches changed between the request and the answer."""


class NotLocked(ValueError):
    """An unlock asked for a month (or kab/kota) that no approval locks."""


@dataclass(frozen=True)
class Recorded:
    """One row of the approval history, as written."""

    approval_id: int
    decision: str
    batch_ids: tuple[int, ...]
    decided_at: datetime


def _check(decision: str, held: tuple[str, ...], reason: str, who: str, source: str) -> None:
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    if (decision == "approved_with_held") != bool(held):
        raise ValueError("kab/kota are held back exactly when the decision is approved_with_held")
    if decision != "approved" and not reason.strip():
        raise ValueError(f"a decision {decision} needs a reason")
    if not who.strip():
        raise ValueError("who decided is required")
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}, not {source!r}")


def _insert(cur, **row) -> Recorded:
    cur.execute(sqlfiles.read("approve/record_decision.sql"), row)
    approval_id, decided_at = cur.fetchone()
    return Recorded(approval_id, row["decision"], tuple(row["batch_ids"]), decided_at)


def record(
    dsn: str,
    province: str,
    periode: str,
    decision: str,
    held: Iterable[str] = (),
    reason: str = "",
    who: str = "",
    source: str = "ui",
    run_id: str | None = None,
    expected_batches: Mapping[str, int] | None = None,
) -> Recorded:
    """Append the approver's decision on a province-month; returns the row written.

    An approval covers the current batch of every merged kab/kota not held back; a rejection covers every
    current batch (what was looked at and refused). ``expected_batches`` (``ApprovalRequest.batch_ids``)
    makes the answer refuse to cover batches the approver did not see.
    """
    held = tuple(sorted(set(held)))
    _check(decision, held, reason, who, source)
    params = {"province": province, "periode": periode}
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sqlfiles.read("approve/lock_month.sql"), params)
        cur.execute(sqlfiles.read("approve/province_kabkota.sql"), params)
        unknown = set(held) - {kode for (kode,) in cur.fetchall()}
        if unknown:
            raise ValueError(f"not a kab/kota of province {province}: {', '.join(sorted(unknown))}")
        cur.execute(sqlfiles.read("approve/current_batches.sql"), params)
        current = dict(cur.fetchall())
        if expected_batches is not None and dict(expected_batches) != current:
            changed = sorted(set(current.items()) ^ set(dict(expected_batches).items()))
            raise StaleRequest(f"{province} {periode}: batches changed since the request: "
                               f"{', '.join(sorted({kode for kode, _ in changed}))}")
        covered = sorted(batch for kode, batch in current.items() if kode not in held)
        return _insert(cur, province=province, periode=periode, decision=decision, kode_kabkota=None,
                       held=list(held), reason=reason, who=who, batch_ids=covered, run_id=run_id, source=source)


def unlock(
    dsn: str, province: str, periode: str, kode_kabkota: str | None, reason: str, who: str, source: str = "cli",
    run_id: str | None = None,
) -> Recorded:
    """Unlock an approved month (``kode_kabkota`` None) or one of its kab/kota: recorded, with its reason.

    The unlocked kab/kota-months are provisional again; a correction may then be merged, and the month
    needs a new approval. Refuses (``NotLocked``) when nothing of the month is locked.
    """
    if not reason.strip():
        raise ValueError("an unlock needs a reason")
    if not who.strip():
        raise ValueError("who unlocked is required")
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}, not {source!r}")
    params = {"province": province, "periode": periode, "kode_kabkota": kode_kabkota}
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sqlfiles.read("approve/lock_month.sql"), params)
        cur.execute(sqlfiles.read("approve/month_state.sql"), params)
        released = sorted(approved for _kode, _batch, _status, locked, approved in cur.fetchall() if locked)
        if not released:
            where = f"{province} {periode}" + (f" {kode_kabkota}" if kode_kabkota else "")
            raise NotLocked(f"{where} is not locked")
        return _insert(cur, province=province, periode=periode, decision="unlocked", kode_kabkota=kode_kabkota,
                       held=[], reason=reason, who=who, batch_ids=released, run_id=run_id, source=source)


def is_locked(dsn: str, province: str, periode: str, kode_kabkota: str) -> bool:
    """Whether an approval locks this kab/kota-month (a correction for it must wait for an unlock)."""
    params = {"province": province, "periode": periode, "kode_kabkota": kode_kabkota}
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sqlfiles.read("approve/month_state.sql"), params)
        return any(locked for _kode, _batch, _status, locked, _approved in cur.fetchall())


def state(dsn: str, province: str, periode: str) -> dict[str, tuple[str, bool]]:
    """Each merged kab/kota of the month: (final | provisional | held, locked)."""
    params = {"province": province, "periode": periode, "kode_kabkota": None}
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sqlfiles.read("approve/month_state.sql"), params)
        return {kode: (status, locked) for kode, _batch, status, locked, _approved in cur.fetchall()}


def history(dsn: str, province: str, periode: str) -> list[dict]:
    """The month's approval history, oldest first."""
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sqlfiles.read("approve/history.sql"), {"province": province, "periode": periode})
        names = [c.name for c in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def province_history(dsn: str, province: str, periode: str | None = None) -> list[dict]:
    """The province's approval history (one month when ``periode`` is given), by month then oldest first."""
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sqlfiles.read("approve/province_history.sql"), {"province": province, "periode": periode})
        names = [c.name for c in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def held_submissions(dsn: str, province: str, periode: str, kode_kabkota: str | None = None) -> list[dict]:
    """The corrections of the month answered "held: month locked" and not processed since (ids and counts)."""
    params = {"province": province, "periode": periode, "kode_kabkota": kode_kabkota}
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sqlfiles.read("approve/held_submissions.sql"), params)
        names = [c.name for c in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
