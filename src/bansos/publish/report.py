"""The end-of-run account of a province-month: which kab/kota are loaded, missing, rejected, held or stuck, and
where each loaded one stands with the province's approval (final, or awaiting approval).

Read from the warehouse rather than from task results, so it is the same whether the run processed
a file just now or found it unchanged since an earlier run.
"""

from __future__ import annotations

from dataclasses import dataclass

from bansos.warehouse import sqlfiles, submissions
from bansos.warehouse.database import connect


@dataclass(frozen=True)
class KabKotaStatus:
    kode: str
    short: str
    state: str  # loaded, held (a correction waits: month locked), missing, rejected, elsewhere, incomplete
    detail: str
    approval: str | None = None  # loaded months: "final" or "awaiting approval" (provisional or held back)


# How the report names a merged kab/kota-month's approval state (core.kabkota_month_approval.status).
APPROVAL_LABELS = {"final": "final", "provisional": "awaiting approval", "held": "awaiting approval"}
HELD_LABEL = "held: month locked"


def period_status(dsn: str, province: str, periode: str, run_id: str | None = None) -> list[KabKotaStatus]:
    """The state of each kab/kota of the month, as ``run_id`` (the run reporting) sees it.

    A file that another run holds a live claim on is ``elsewhere``: that run processes it (a manual run
    beside the scheduled one), so this run stepped aside; it is not ``incomplete``.
    """
    params = {"province": province, "periode": periode, "lease_minutes": submissions.lease_minutes()}
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sqlfiles.read("publish/period_status.sql"), params)
        rows = cur.fetchall()
    out = []
    for kode, short, sub_id, status, _rows, reasons, qkey, claimed_by, live, loaded_sub, loaded_rows, approval in rows:
        approval = APPROVAL_LABELS.get(approval) if loaded_sub is not None else None
        if sub_id is None:
            state, detail = "missing", "no extract received"
        elif status == "rejected":
            rules = ", ".join(r["rule"] for r in reasons if r.get("severity") == "error") or "?"
            kept = f"; earlier version {loaded_sub} stays loaded" if loaded_sub else ""
            state, detail = "rejected", f"submission {sub_id} rejected ({rules}), quarantined at {qkey}{kept}"
        elif status in ("received", "staged") and live and claimed_by not in (None, run_id):
            state, detail = "elsewhere", f"submission {sub_id} is being processed by run {claimed_by}"
        elif status == "held":
            kept = f"; approved submission {loaded_sub} ({loaded_rows:,} rows) stays loaded" if loaded_sub else ""
            state, detail = "held", (f"{HELD_LABEL}: submission {sub_id} is validated and waits for an unlock "
                                     f"(python -m bansos.approve unlock ... --kabkota {kode}){kept}")
        elif loaded_sub is not None:
            state, detail = "loaded", f"submission {loaded_sub}, {loaded_rows:,} rows"
        else:
            state, detail = "incomplete", f"submission {sub_id} is {status}: processing did not finish"
        out.append(KabKotaStatus(kode, short, state, detail, approval))
    return out


def render(province: str, periode: str, statuses: list[KabKotaStatus]) -> str:
    """The report's lines: each kab/kota's state, its approval (``final``, ``awaiting approval``) and details;
    a held correction reads ``held: month locked``. Then how many merged kab/kota await approval."""
    lines = [f"Province {province}, periode {periode}:"]
    for s in statuses:
        shown = HELD_LABEL if s.state == "held" else s.state
        lines.append(f"  {s.kode} {s.short:<14} {shown:<18} {s.approval or '-':<17} {s.detail}")
    waiting = sum(s.approval == "awaiting approval" for s in statuses)
    held = sum(s.state == "held" for s in statuses)
    lines.append(f"  awaiting approval: {waiting} kab/kota; {HELD_LABEL}: {held}")
    return "\n".join(lines)
