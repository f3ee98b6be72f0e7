"""The content of an approval request for one province-month, and its markdown body.

Why a typed object and not the HITL operator's free text: the same content is shown to the approver (the
markdown body of Airflow's Required Actions), kept with the run (JSON), and checked by the tests against the
marts; a figure the approver signs must be the figure the office reads. It holds codes, counts and Rupiah only:
no NIK, No KK, name or file name (a file name can hold a NIK), so it may travel through XCom and the UI.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

from bansos.warehouse import sqlfiles
from bansos.warehouse.database import connect


@dataclass(frozen=True)
class ProgrammeFigure:
    """One programme of one kab/kota: this month and the month before."""

    kode_program: str
    nama_program: str
    kk: int
    rupiah: int
    kk_previous: int
    rupiah_previous: int


@dataclass(frozen=True)
class KabkotaRequest:
    """One kab/kota of the month: loaded, rejected (its newest file), pending or missing, with its figures."""

    kode: str
    nama: str
    state: str
    batch_id: int | None
    rows: int
    approval_status: str
    locked: bool
    dq_warnings: int
    integrity_findings: int
    programmes: tuple[ProgrammeFigure, ...] = ()

    def total(self, figure: str) -> int:
        """One of ``ProgrammeFigure``'s figures (``kk``, ``rupiah``, ``kk_previous``...) summed over programmes."""
        return sum(getattr(p, figure) for p in self.programmes)

    kk_sum = property(lambda self: self.total("kk"))
    rupiah = property(lambda self: self.total("rupiah"))
    kk_sum_previous = property(lambda self: self.total("kk_previous"))
    rupiah_previous = property(lambda self: self.total("rupiah_previous"))


@dataclass(frozen=True)
class ApprovalRequest:
    """What the approver of a province-month is asked to sign."""

    province: str
    periode: str
    kabkota: tuple[KabkotaRequest, ...]
    links: Mapping[str, str] = field(default_factory=dict)

    @property
    def batch_ids(self) -> dict[str, int]:
        """The loaded batch of each kab/kota the request shows: what an approval of it covers."""
        return {k.kode: k.batch_id for k in self.kabkota if k.batch_id is not None}

    def to_dict(self) -> dict:
        """JSON-serialisable: for XCom, the HITL operator's params and the run's record."""
        out = asdict(self)
        out["links"] = dict(self.links)
        for k, row in zip(out["kabkota"], self.kabkota, strict=True):
            k.update(kk_sum=row.kk_sum, rupiah=row.rupiah, kk_sum_previous=row.kk_sum_previous,
                     rupiah_previous=row.rupiah_previous)
        return out

    @classmethod
    def from_dict(cls, data: Mapping) -> ApprovalRequest:
        derived = {"kk_sum", "rupiah", "kk_sum_previous", "rupiah_previous"}
        kabkota = tuple(
            KabkotaRequest(**{key: value for key, value in k.items() if key not in derived | {"programmes"}},
                           programmes=tuple(ProgrammeFigure(**p) for p in k["programmes"]))
            for k in data["kabkota"]
        )
        return cls(data["province"], data["periode"], kabkota, dict(data.get("links") or {}))

    def markdown(self) -> str:
        """The body of the Airflow HITL request (Required Actions renders markdown)."""
        lines = [f"## Persetujuan data {self.province} periode {self.periode}", ""]
        if self.links:
            lines += [" · ".join(f"[{name}]({url})" for name, url in self.links.items()), ""]
        lines += ["| kab/kota | keadaan | baris | KK (jumlah program) | Rupiah | Δ KK | Δ Rupiah "
                  "| peringatan DQ | temuan integritas | status |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"]
        for k in self.kabkota:
            lines.append(
                f"| {k.kode} {k.nama} | {k.state} | {k.rows:,} | {k.kk_sum:,} | {k.rupiah:,} "
                f"| {k.kk_sum - k.kk_sum_previous:+,} | {k.rupiah - k.rupiah_previous:+,} "
                f"| {k.dq_warnings} | {k.integrity_findings} | {k.approval_status}{' (terkunci)' if k.locked else ''} |"
            )
        lines += ["", "### Per program", "", "| kab/kota | program | KK | Rupiah | KK bulan lalu | Rupiah bulan lalu |",
                  "|---|---|---:|---:|---:|---:|"]
        for k in self.kabkota:
            for p in k.programmes:
                lines.append(f"| {k.kode} | {p.kode_program} | {p.kk:,} | {p.rupiah:,} | {p.kk_previous:,} "
                             f"| {p.rupiah_previous:,} |")
        return "\n".join(lines) + "\n"


def _state(newest_status: str | None, batch_id: int | None) -> str:
    if newest_status == "rejected":
        return "rejected"
    if batch_id is not None:
        return "loaded"
    return "missing" if newest_status is None else "pending"


def request(dsn: str, province: str, periode: str, links: Mapping[str, str] | None = None) -> ApprovalRequest:
    """Read the approval request of one province-month from the warehouse (one snapshot)."""
    params = {"province": province, "periode": periode}
    with connect(dsn) as conn:
        conn.set_session(isolation_level="REPEATABLE READ", readonly=True)  # both queries see one state
        cur = conn.cursor()
        cur.execute(sqlfiles.read("approve/kabkota_state.sql"), params)
        states = cur.fetchall()
        cur.execute(sqlfiles.read("approve/programme_figures.sql"), params)
        figures: dict[str, list[ProgrammeFigure]] = {}
        for kode, *figure in cur.fetchall():
            figures.setdefault(kode, []).append(ProgrammeFigure(*figure))
    kabkota = tuple(
        KabkotaRequest(kode=kode, nama=nama, state=_state(newest, batch_id), batch_id=batch_id, rows=rows or 0,
                       approval_status=status, locked=locked, dq_warnings=warnings, integrity_findings=findings,
                       # a kab/kota with nothing this month still shows last month's figures as the change
                       programmes=tuple(figures.get(kode, ())))
        for kode, nama, newest, batch_id, rows, status, locked, warnings, findings in states
    )
    return ApprovalRequest(province, periode, kabkota, dict(links or {}))
