"""The data engineers' status page: the completeness matrix and the latest validation failures, as one HTML page.

The Airflow plugin in ``plugins/bansos_status.py`` serves it inside the Airflow UI (behind the api-server's own
login); this module holds everything else, so it is tested without Airflow: the warehouse queries (in
``include/sql/publish/status/``), the links to each failure's Airflow run, task log and Data Docs page, and the
HTML. Why a server-rendered page and not a React plugin: a table of ~100 cells needs no script, and every value
on it goes through :func:`html.escape` in one place.

The page shows no NIK, No KK or name: the queries read codes, states, rule names and counts only (never the
failing values of ``dq.rule_result.examples``).
"""

from __future__ import annotations

import html
import mimetypes
import posixpath
from dataclasses import dataclass, field
from urllib.parse import quote

from bansos.domain import dags
from bansos.domain.config import load_province
from bansos.domain.layout import datadocs_folder
from bansos.domain.storage import Store
from bansos.validate.datadocs import find_validation_page
from bansos.warehouse import sqlfiles
from bansos.warehouse.database import connect

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# The states of a kab/kota-month (mart.submission_completeness.status), in the legend's order, with the
# label and the colour the page shows. "awaiting_approval" and "held" are not states of their own: they mark a
# merged cell (its timeliness stays its status) that the province has not approved yet (provisional, or held back
# by the approver), or for which a correction waits because the approved month is locked (issue 13).
STATES = {
    "on_time": ("on time", "#2e7d32"),
    "late": ("late", "#f9a825"),
    "awaiting_approval": ("awaiting approval", "#1565c0"),
    "rejected": ("rejected", "#c62828"),
    "pending": ("being processed", "#6a1b9a"),
    "missing": ("missing", "#616161"),
    "not_due": ("not yet due", "#e0e0e0"),
}
# The approval marks on a merged cell (``data-approval``), drawn as the cell's outline in these colours.
APPROVAL = {
    "awaiting_approval": ("awaiting approval", "#1565c0"),
    "held": ("held: month locked", "#ef6c00"),
}
# core.kabkota_month_approval.status -> the mark; "final" has none (the figures are signed).
APPROVAL_MARK = {"provisional": "awaiting_approval", "held": "awaiting_approval", "final": None}
# Which task's log tells why a branch ended as it did: validate logs the failed rules of a rejected file.
LOG_TASK_ID = "kabkota.validate"
FAILURES_LIMIT = 20


@dataclass(frozen=True)
class Cell:
    status: str
    label: str
    days_late: int | None
    submissions: int
    rejected_submissions: int
    loaded_rows: int | None
    approval: str | None = None  # core.kabkota_month_approval.status: final, provisional, held; None: not merged
    held_submissions: int = 0  # corrections waiting as "held: month locked"

    @property
    def mark(self) -> str | None:
        """The cell's approval mark: ``held`` (a correction waits), ``awaiting_approval``, or None (final/none)."""
        if self.held_submissions:
            return "held"
        return APPROVAL_MARK.get(self.approval) if self.approval else None


@dataclass(frozen=True)
class Matrix:
    province: str
    tahun: int
    as_of: str | None
    kabkota: list[tuple[str, str]]  # (kode, short name), in the province's order
    cells: dict[tuple[str, int], Cell]  # (kode, bulan) -> cell


@dataclass(frozen=True)
class Failure:
    submission_id: int
    run_id: str
    periode: str
    kode_kabkota: str
    nama_kabkota: str
    status: str
    rules: list[dict]  # {"rule", "severity", "count", "of"}
    checked_at: str


@dataclass(frozen=True)
class Links:
    """Where the page's links go: ``ui`` is the Airflow UI's base path, ``page`` the status app's own."""

    ui: str = ""
    page: str = "/bansos-status"
    map_index: dict[str, dict[str, int]] = field(default_factory=dict)  # province -> kode -> map index

    def run(self, province: str, run_id: str) -> str:
        return f"{self.ui}/dags/{quote(dags.monthly(province), safe='')}/runs/{quote(run_id, safe='')}"

    def log(self, province: str, run_id: str, kode_kabkota: str) -> str:
        """The validate task of the kab/kota's mapped branch (its log names the failed rules)."""
        if province not in self.map_index:
            self.map_index[province] = {k: i for i, k in enumerate(load_province(province).kabkota_codes)}
        index = self.map_index[province].get(kode_kabkota)
        task = f"{self.run(province, run_id)}/tasks/{quote(LOG_TASK_ID, safe='')}"
        return task if index is None else f"{task}/mapped/{index}"

    def datadocs(self, submission_id: int) -> str:
        return f"{self.page}/datadocs/{int(submission_id)}"


def years(dsn: str, province: str) -> list[int]:
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sqlfiles.read("publish/status/years.sql"), {"province": province})
        return [int(y) for (y,) in cur.fetchall()]


def completeness(dsn: str, province: str, tahun: int) -> Matrix:
    """The kab/kota x month matrix of one province-year, from ``mart.submission_completeness``."""
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sqlfiles.read("publish/status/completeness.sql"), {"province": province, "tahun": int(tahun)})
        rows = cur.fetchall()
    kabkota: dict[str, str] = {}
    cells = {}
    for kode, nama, bulan, _periode, status, label, days_late, subs, rejected, loaded, approval, held, _as_of in rows:
        kabkota.setdefault(kode, nama)
        cells[(kode, int(bulan))] = Cell(status, label, days_late, subs, rejected, loaded, approval, int(held or 0))
    as_of = rows[0][-1] if rows else None
    return Matrix(province, int(tahun), as_of, list(kabkota.items()), cells)


def failures(dsn: str, province: str, limit: int = FAILURES_LIMIT) -> list[Failure]:
    """The latest validations with a failed rule (errors and warnings), newest first."""
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sqlfiles.read("publish/status/failures.sql"), {"province": province, "limit": int(limit)})
        return [Failure(*row) for row in cur.fetchall()]


def datadocs_page(dsn: str, store: Store, submission_id: int) -> str | None:
    """The store key of a submission's newest Data Docs validation page, if it has one."""
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sqlfiles.read("publish/status/submission.sql"), {"submission_id": int(submission_id)})
        row = cur.fetchone()
    if row is None:
        return None
    return find_validation_page(store, datadocs_folder(row[0], row[1], row[2], submission_id))


def datadocs_key(path: str) -> str | None:
    """The store key of a file of the Data Docs site at ``path`` (relative to ``datadocs/``), or None when the
    path would leave that folder."""
    if not path or path.startswith("/") or "\\" in path or "\x00" in path:
        return None
    normal = posixpath.normpath(path)
    if normal != path.rstrip("/") or normal.startswith("..") or normal == ".":
        return None
    return f"datadocs/{normal}"


def content_type(key: str) -> str:
    kind = mimetypes.guess_type(key)[0] or "application/octet-stream"
    return f"{kind}; charset=utf-8" if kind.startswith("text/") or kind.endswith("javascript") else kind


def _e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _legend() -> str:
    items = "".join(
        f'<li><span class="sw {"ap" if key == "awaiting_approval" else "s"}-{_e(key)}"></span>{_e(label)}'
        + (" <em>(merged, not yet approved by the province: outlined)</em>" if key == "awaiting_approval" else "")
        + "</li>"
        for key, (label, _) in STATES.items()
    )
    items += (f'<li><span class="sw ap-held"></span>{_e(APPROVAL["held"][0])} <em>(a correction waits for an '
              "unlock: python -m bansos.approve unlock)</em></li>")
    return f'<ul class="legend">{items}<li><span class="mark">&#x2020;</span> a later file was rejected</li></ul>'


def _cell(cell: Cell | None) -> str:
    if cell is None:
        return '<td class="s-none">&ndash;</td>'
    label = STATES.get(cell.status, (cell.status, ""))[0]
    title = f"{label} ({cell.label})"
    text = label
    if cell.status == "late" and cell.days_late:
        text = f"late {cell.days_late}d"
        title += f", {cell.days_late} days late"
    if cell.loaded_rows is not None:
        title += f", {cell.loaded_rows} rows loaded"
    title += f", {cell.submissions} file(s) received"
    mark = ""
    if cell.rejected_submissions and cell.status != "rejected":
        mark = '<span class="mark">&#x2020;</span>'
        title += f", {cell.rejected_submissions} rejected"
    if cell.approval == "final":
        title += ", approved (final)"
    approval, classes = "", f"s-{cell.status}"
    if (key := cell.mark) is not None:
        what = APPROVAL[key][0]
        title += f", {what}" + (f" ({cell.held_submissions} correction(s) wait for an unlock)" if key == "held"
                                else "")
        approval = f'<br><small class="ap">{_e(what)}</small>'
        classes += f" ap-{key}"
    return (f'<td class="{_e(classes)}" title="{_e(title)}" data-status="{_e(cell.status)}" '
            f'data-approval="{_e(cell.mark or cell.approval or "")}">{_e(text)}{mark}{approval}</td>')


def render_matrix(matrix: Matrix) -> str:
    head = "".join(f"<th>{_e(m)}</th>" for m in MONTHS)
    body = []
    for kode, nama in matrix.kabkota:
        cells = "".join(_cell(matrix.cells.get((kode, b))) for b in range(1, 13))
        name = f'<th class="kk">{_e(nama)} <small>{_e(kode)}</small></th>'
        body.append(f'<tr data-kabkota="{_e(kode)}">{name}{cells}</tr>')
    return (
        f'<table class="matrix" id="completeness-{_e(matrix.province)}-{_e(matrix.tahun)}">'
        f"<thead><tr><th>kab/kota</th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        f'<p class="note">As of {_e(matrix.as_of or "-")} (province time), when the last monthly run refreshed it.</p>'
    )


def render_failures(province: str, rows: list[Failure], links: Links) -> str:
    if not rows:
        return '<p class="note">No failed validation.</p>'
    body = []
    for f in rows:
        rules = "".join(
            f'<li class="{_e(r.get("severity"))}"><code>{_e(r.get("rule"))}</code> '
            f"{_e(r.get('severity'))}: {_e(r.get('count'))} of {_e(r.get('of'))} rows</li>"
            for r in f.rules
        )
        body.append(
            f'<tr data-submission="{_e(f.submission_id)}"><td>{_e(f.checked_at)}</td><td>{_e(f.periode)}</td>'
            f"<td>{_e(f.nama_kabkota)} <small>{_e(f.kode_kabkota)}</small></td>"
            f'<td class="sub-{_e(f.status)}">{_e(f.status)}</td><td><ul class="rules">{rules}</ul></td>'
            f'<td class="links"><a target="_top" href="{_e(links.run(province, f.run_id))}">run</a> '
            f'<a target="_top" href="{_e(links.log(province, f.run_id, f.kode_kabkota))}">log</a> '
            f'<a target="_blank" rel="noopener" href="{_e(links.datadocs(f.submission_id))}">Data Docs</a></td></tr>'
        )
    return (
        '<table class="failures"><thead><tr><th>checked</th><th>month</th><th>kab/kota</th><th>file</th>'
        f"<th>failed rules (rows)</th><th>open</th></tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


STYLE = """
body{font-family:system-ui,sans-serif;margin:1rem 1.5rem;color:#222;font-size:14px}
h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:1.6rem}
table{border-collapse:collapse;margin:.4rem 0}th,td{border:1px solid #ccc;padding:.25rem .45rem;text-align:center}
th.kk{text-align:left;white-space:nowrap}td{font-size:12px;white-space:nowrap}
.failures td{text-align:left;vertical-align:top}.rules{margin:0;padding-left:1rem}
.rules .error code{color:#c62828}.rules .warning code{color:#b26a00}
.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:1rem}
.sw{display:inline-block;width:.9rem;height:.9rem;margin-right:.3rem;vertical-align:middle;border:1px solid #999}
.mark{color:#c62828;font-weight:bold;margin-left:.2rem}.note{color:#555;font-size:12px}
.links a{margin-right:.5rem}.ap{font-size:10px}
""" + "".join(
    f".s-{key}{{background:{colour};color:{'#222' if key in ('late', 'not_due') else '#fff'}}}"
    for key, (_, colour) in STATES.items()
) + "".join(f".ap-{key}{{outline:3px solid {colour};outline-offset:-3px}}" for key, (_, colour) in APPROVAL.items())


def render_page(sections: list[tuple[str, str, Matrix | None, list[Failure]]], links: Links) -> str:
    """The whole page; ``sections`` is one (province code, province name, matrix, failures) per province."""
    parts = []
    for kode, nama, matrix, failed in sections:
        parts.append(f'<section id="province-{_e(kode)}"><h2>{_e(nama)} ({_e(kode)})</h2>')
        if matrix is None:
            parts.append('<p class="note">No month refreshed yet.</p>')
        else:
            parts.append(f"<h3>Completeness {_e(matrix.tahun)}: kab/kota &times; month</h3>{render_matrix(matrix)}")
        parts.append(f"<h3>Latest validation failures</h3>{render_failures(kode, failed, links)}</section>")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Bansos status</title>'
        f"<style>{STYLE}</style></head><body><h1>Bansos pipeline status</h1>{_legend()}{''.join(parts)}</body></html>"
    )


def page(dsn: str, provinces: list[str], links: Links, tahun: int | None = None) -> str:
    """The status page of ``provinces``: each one's matrix for ``tahun`` (default its newest year) and failures."""
    sections = []
    for kode in provinces:
        available = years(dsn, kode)
        year = tahun if tahun is not None else (available[0] if available else None)
        matrix = completeness(dsn, kode, year) if year is not None else None
        sections.append((kode, load_province(kode).nama, matrix, failures(dsn, kode)))
    return render_page(sections, links)
