"""The life of one received file: received -> staged -> accepted or rejected (-> superseded); or held while its
kab/kota-month is locked by an approval (held -> staged again once unlocked).

``raw.submission`` is the ledger of everything kab/kota offices sent: where it came from, its
checksum, where its byte-for-byte copy is archived and what became of it.

One run at a time: stage *claims* the submission for its run (``claimed_by``, ``claimed_at``) with a
compare-and-set, and validate and merge go on only while their run still holds the claim. Every
status change is a compare-and-set too (from the statuses the step expects, by the claim's run),
so two runs of one month, in whatever order their steps interleave, decide each file once. A claim
older than the lease (``BANSOS_CLAIM_LEASE_MINUTES``) may be taken over: a run killed without a
callback must not keep its kab/kota-month forever; the run it was taken from then skips.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from bansos.warehouse import sqlfiles
from bansos.warehouse.database import connect

# The statuses each status may be reached from: a claimed step finds its submission ``staged`` (the
# claim sets it); only extract's "superseded on arrival" moves a file nobody has claimed yet.
EXPECTED_FROM = {
    "staged": ("staged",),
    "accepted": ("staged",),
    "rejected": ("staged",),
    "superseded": ("received", "staged", "held"),
    "held": ("staged",),
}
DEFAULT_LEASE_MINUTES = 120


def lease_minutes() -> int:
    """How long a claim holds without being renewed (each step renews it) before another run may take it."""
    return int(os.environ.get("BANSOS_CLAIM_LEASE_MINUTES", DEFAULT_LEASE_MINUTES))


@dataclass(frozen=True)
class Submission:
    """One received file as ``raw.submission`` records it: the tasks hand each other its id only, and read
    where it is archived, its name and checksum here (a file name can hold a NIK; XCom must not)."""

    submission_id: int
    province: str
    periode: str
    kode_kabkota: str
    source_uri: str
    sha256: str
    archive_key: str
    status: str
    row_count: int | None
    reasons: list

    @property
    def file_name(self) -> str:
        return self.archive_key.rsplit("/", 1)[-1]


def get(dsn: str, submission_id: int) -> Submission:
    """The submission ``submission_id``; :class:`LookupError` if there is none."""
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sqlfiles.read("warehouse/submissions/get.sql"), (submission_id,))
        row = cur.fetchone()
    if row is None:
        raise LookupError(f"no submission {submission_id}")
    return Submission(*row)


def set_status(
    dsn: str,
    submission_id: int,
    status: str,
    *,
    row_count: int | None = None,
    reasons: list | None = None,
    quarantine_key: str | None = None,
    run_id: str | None = None,
    cur=None,
) -> bool:
    """Compare-and-set: move the submission to ``status`` only from the statuses that lead there
    (:data:`EXPECTED_FROM`) and, given ``run_id``, only while that run holds the claim.

    Returns whether it moved; runs in the caller's transaction when given ``cur``.
    """
    params = {
        "submission_id": submission_id,
        "status": status,
        "expected": list(EXPECTED_FROM[status]),
        "run_id": run_id,
        "row_count": row_count,
        "reasons": json.dumps(reasons) if reasons is not None else None,
        "quarantine_key": quarantine_key,
    }
    if cur is not None:
        cur.execute(sqlfiles.read("warehouse/submissions/set_status.sql"), params)
        return cur.rowcount == 1
    with connect(dsn) as conn, conn.cursor() as own:
        own.execute(sqlfiles.read("warehouse/submissions/set_status.sql"), params)
        return own.rowcount == 1


def claim(dsn: str, submission_id: int, run_id: str) -> bool:
    """Take the submission for ``run_id`` (a retry of the same run keeps its claim); False if another run
    holds it within the lease or it is already decided."""
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            sqlfiles.read("warehouse/submissions/claim.sql"),
            {"submission_id": submission_id, "run_id": run_id, "lease_minutes": lease_minutes()},
        )
        return cur.rowcount == 1


def hold(cur, submission_id: int, run_id: str, expected: tuple[str, ...] = ("staged",)) -> tuple[bool, int | None]:
    """Renew ``run_id``'s claim and lock the row for the caller's transaction.

    Returns whether the run still holds the claim with the submission in an ``expected`` status, and
    the row count stage recorded (None until it did).
    """
    cur.execute(
        sqlfiles.read("warehouse/submissions/hold.sql"),
        {"submission_id": submission_id, "run_id": run_id, "expected": list(expected)},
    )
    row = cur.fetchone()
    return (False, None) if row is None else (True, row[0])


def why_not_held(dsn: str, submission_id: int, run_id: str) -> str:
    """A sentence for the log and the skip: who holds the submission now, or what decided it."""
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sqlfiles.read("warehouse/submissions/state.sql"), {"submission_id": submission_id})
        status, claimed_by, claimed_at = cur.fetchone()
    if status == "staged" and claimed_by and claimed_by != run_id:
        return f"taken over by run {claimed_by} (claimed {claimed_at:%Y-%m-%d %H:%M:%S %Z})"
    return f"already decided ({status})" if status != "staged" else f"claim of run {run_id} lost"


def release(dsn: str, province: str, periode: str, kode_kabkota: str, run_id: str) -> list[int]:
    """Give up ``run_id``'s claims on one kab/kota-month; returns the month's submission ids."""
    with connect(dsn) as conn, conn.cursor() as cur:
        sqlfiles.run_script(
            cur,
            sqlfiles.read("warehouse/submissions/release.sql"),
            {"province": province, "periode": periode, "kode_kabkota": kode_kabkota, "run_id": run_id},
        )
        return [sid for (sid,) in cur.fetchall()]
