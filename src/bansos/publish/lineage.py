"""Lineage: from a published figure back to the files behind it, and what was published when.

Every ``core.distribution`` row carries its ``batch_id`` and ``source_line``; a batch belongs to one
``raw.submission``, which names the object as it landed (bucket, key, S3 version or landing time,
SHA-256) and its byte-for-byte archive copy. The views of migration ``0004_lineage.sql``
(``core.batch_lineage``, ``core.distribution_lineage``, ``core.publication_source``) join those for
SQL readers; this module answers the one question an auditor asks of a figure in the yearly table:
*which files, which versions, how many of their rows?*

Publications are recorded by :func:`record_publication` after each summary refresh, only when the
set of batches changed, so a correction leaves the earlier figure and its files in history.

Command line (no personal data is printed, only codes, counts, object names and checksums)::

    python -m bansos.lineage --province 21 --tahun 2022 --kabkota 21.71 --program JAMSOS [--bulan 3]
        [--history] [--current] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from datetime import datetime

from bansos.warehouse import sqlfiles
from bansos.warehouse.database import connect


@dataclass(frozen=True)
class Figure:
    """The grain of one cell of ``mart.distribution_summary``; None means "all" (the total)."""

    province: str
    tahun: int
    bulan: int | None = None
    kode_kabkota: str | None = None
    kode_program: str | None = None

    def params(self) -> dict:
        return asdict(self)

    def label(self) -> str:
        month = f"{self.tahun}-{self.bulan:02d}" if self.bulan else f"{self.tahun} (whole year)"
        return (f"province {self.province}, {month}, kab/kota {self.kode_kabkota or 'all'}, "
                f"programme {self.kode_program or 'all programmes'}")


@dataclass(frozen=True)
class SourceFile:
    """One file (one load batch) behind a figure, and what it contributed to it."""

    periode: str
    kode_kabkota: str
    rows: int  # rows of this file counted in the figure (its month and programme)
    rupiah: int
    batch_rows: int  # all rows of the file
    batch_id: int
    submission_id: int
    source_uri: str
    source_bucket: str | None
    source_key: str
    source_version: str | None
    landed_at: datetime
    sha256: str
    archive_key: str
    loaded_at: datetime
    superseded_at: datetime | None


@dataclass(frozen=True)
class Publication:
    publication_id: int
    published_at: datetime
    batch_count: int
    row_count: int


@dataclass(frozen=True)
class FigureVersion:
    """The figure's values as one publication had them (None values: the cell did not exist then)."""

    publication_id: int
    published_at: datetime
    kk_assisted: int | None
    kk_sum_programmes: int | None
    persons: int | None
    distributions: int | None
    total_rupiah: int | None


def record_publication(dsn: str, province: str, tahun: int, cur=None) -> tuple[int | None, bool]:
    """Record the province-year's current summary as a publication; returns (publication_id, is_new).

    Pass ``cur`` to run inside the caller's transaction (the publish step's, right after the refresh),
    so the recorded batches are exactly those the refreshed summary was computed from.
    """
    params = {"province": province, "tahun": tahun}
    text = sqlfiles.read("publish/lineage/record_publication.sql")
    if cur is not None:
        sqlfiles.run_script(cur, text, params)
        publication_id, is_new = cur.fetchone()
        return publication_id, is_new
    with connect(dsn) as conn, conn.cursor() as own:
        sqlfiles.run_script(own, text, params)
        publication_id, is_new = own.fetchone()
    return publication_id, is_new


def latest_publication(dsn: str, province: str, tahun: int) -> Publication | None:
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sqlfiles.read("publish/lineage/latest_publication.sql"), {"province": province, "tahun": tahun})
        row = cur.fetchone()
    return Publication(*row) if row else None


def figure_sources(dsn: str, figure: Figure, publication_id: int | None = None) -> list[SourceFile]:
    """The files behind ``figure`` in publication ``publication_id``, or in the current batches if None."""
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sqlfiles.read("publish/lineage/figure_sources.sql"),
                    figure.params() | {"publication_id": publication_id})
        return [SourceFile(*row) for row in cur.fetchall()]


def current_figure(dsn: str, figure: Figure) -> dict | None:
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sqlfiles.read("publish/lineage/current_figure.sql"), figure.params())
        row = cur.fetchone()
        names = [c.name for c in cur.description]
    return dict(zip(names, row, strict=True)) if row else None


def figure_history(dsn: str, figure: Figure) -> list[FigureVersion]:
    """The figure in every recorded publication of its province-year, oldest first."""
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sqlfiles.read("publish/lineage/figure_history.sql"), figure.params())
        return [FigureVersion(*row) for row in cur.fetchall()]


def explain(dsn: str, figure: Figure, *, current: bool = False) -> dict:
    """Everything the command prints, as plain data: the figure, its publication and its files."""
    publication = None if current else latest_publication(dsn, figure.province, figure.tahun)
    files = figure_sources(dsn, figure, publication.publication_id if publication else None)
    history = figure_history(dsn, figure)
    value = next((asdict(v) for v in reversed(history)
                  if publication and v.publication_id == publication.publication_id), None)
    return {
        "figure": figure.params(),
        "publication": asdict(publication) if publication else None,
        "value": value or current_figure(dsn, figure),
        "files": [asdict(f) for f in files],
        "history": [asdict(h) for h in history],
    }


def _fmt(n) -> str:
    return "-" if n is None else f"{n:,}"


def render(figure: Figure, report: dict, *, history: bool = False) -> str:
    publication, value, files = report["publication"], report["value"], report["files"]
    lines = [f"Figure: {figure.label()}"]
    if publication:
        lines.append(f"Published {publication['published_at']:%Y-%m-%d %H:%M:%S %Z} "
                     f"(publication {publication['publication_id']}, {publication['batch_count']} files)")
    else:
        lines.append("Not recorded as published: showing the current batches of the warehouse")
    if value:
        lines.append(f"  KK assisted {_fmt(value['kk_assisted'])}; "
                     f"distributions {_fmt(value['distributions'])}; "
                     f"Rp{_fmt(value['total_rupiah'])}".replace(",", "."))
    else:
        lines.append("  no such figure in the summary")
    lines.append(f"Source files ({len(files)}):")
    for f in files:
        version = f"version {f['source_version']}" if f["source_version"] else "no object version"
        lines.append(f"  {f['periode']} {f['kode_kabkota']}  {f['source_uri']}")
        lines.append(f"      {version}; landed {f['landed_at']:%Y-%m-%d %H:%M:%S %Z}; sha256 {f['sha256']}")
        lines.append(f"      {_fmt(f['rows'])} of {_fmt(f['batch_rows'])} rows in this figure; "
                     f"batch {f['batch_id']} (submission {f['submission_id']}) loaded "
                     f"{f['loaded_at']:%Y-%m-%d %H:%M:%S %Z}; archived as {f['archive_key']}")
    if history:
        lines.append("Publication history of this figure:")
        for h in report["history"]:
            lines.append(f"  {h['published_at']:%Y-%m-%d %H:%M:%S %Z}  publication {h['publication_id']}: "
                         f"KK assisted {_fmt(h['kk_assisted'])}, distributions {_fmt(h['distributions'])}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bansos.lineage",
                                     description="List the source files behind a published figure.")
    parser.add_argument("--province", required=True, help="Kemendagri code, e.g. 21")
    parser.add_argument("--tahun", required=True, type=int)
    parser.add_argument("--bulan", type=int, choices=range(1, 13), metavar="1-12", help="omit for the year")
    parser.add_argument("--kabkota", help="e.g. 21.71; omit for the province")
    parser.add_argument("--program", help="e.g. JAMSOS; omit for all programmes")
    parser.add_argument("--current", action="store_true",
                        help="the current batches, not the last publication")
    parser.add_argument("--history", action="store_true", help="also list the figure in every publication")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    args = parser.parse_args(argv)

    from bansos.warehouse import runtime

    figure = Figure(args.province, args.tahun, args.bulan, args.kabkota, args.program)
    report = explain(runtime.warehouse_dsn(), figure, current=args.current)
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    else:
        print(render(figure, report, history=args.history))
    return 0 if report["files"] else 1


if __name__ == "__main__":
    sys.exit(main())
