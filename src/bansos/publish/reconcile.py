"""Reconciliation: every published figure traced back to the rows the kab/kota offices sent.

For each figure the marts publish for a province-year (every period, region and programme level of
``mart.distribution_by_region``, and every row of ``mart.distribution_summary``), four counts of
distribution rows and three sums of Rupiah must agree:

=========  ===================================================================  ===========================
side       what it counts                                                       levels
=========  ===================================================================  ===========================
file       rows of the accepted file, as staged (``raw.submission.row_count``)  province/kab-kota, all progr.
source     rows and Rupiah of the accepted file per programme, recorded at      province/kab-kota
           merge time before anything was transformed (``core.batch_source_total``)
core       rows of ``core.distribution_current``                                every level
mart       ``distributions`` / ``total_rupiah`` in the marts                    every level
=========  ===================================================================  ===========================

The kecamatan split exists only from core on, so kecamatan figures compare core with the marts.
Any figure where a side that should have it is missing, or differs, is flagged with what differs;
the report is published with the exports (``rekonsiliasi.csv`` and a section of ``laporan.html``).
"""

from __future__ import annotations

from dataclasses import dataclass

from bansos.publish import marts
from bansos.publish.marts import Table

OK = "cocok"
DIFFERENT = "SELISIH"


def _fmt(value) -> str:
    return "tidak ada" if value is None else f"{value:,}".replace(",", ".")


def differences(figure: dict) -> list[str]:
    """What disagrees for one figure (a row of ``include/sql/publish/marts/reconcile.sql``); empty when all agree."""
    problems = []
    core_rows, core_rp = figure["core_rows"], figure["core_rupiah"]
    if core_rows is None:
        problems.append("tidak ada di core (not in core)")
    compared = [("mart", figure["mart_rows"], figure["mart_rupiah"])]
    if figure["has_source"]:
        compared.insert(0, ("sumber", figure["source_rows"], figure["source_rupiah"]))
    if figure["has_summary"]:
        compared.append(("ringkasan", figure["summary_rows"], figure["summary_rupiah"]))
    for side, rows, rupiah in compared:
        if rows != core_rows:
            problems.append(f"baris {side} {_fmt(rows)} ≠ core {_fmt(core_rows)}")
        if rupiah != core_rp:
            problems.append(f"Rupiah {side} {_fmt(rupiah)} ≠ core {_fmt(core_rp)}")
    if figure["has_file"] and figure["file_rows"] != figure["source_rows"]:
        problems.append(f"baris berkas {_fmt(figure['file_rows'])} ≠ sumber {_fmt(figure['source_rows'])}")
    return problems


@dataclass(frozen=True)
class Reconciliation:
    province: str
    tahun: int
    table: Table  # every figure, with status and selisih (what differs)

    @property
    def figures(self) -> int:
        return len(self.table.rows)

    @property
    def flagged(self) -> list[dict]:
        return [r for r in self.table.records() if r["status"] != OK]

    @property
    def ok(self) -> bool:
        return self.figures > 0 and not self.flagged

    def summary(self) -> dict:
        """Small enough for XCom and the manifest."""
        return {"province": self.province, "tahun": self.tahun, "figures": self.figures,
                "differences": len(self.flagged), "ok": self.ok}


_HIDDEN = ("has_file", "has_source", "has_summary")


def check(raw: Table, province: str, tahun: int) -> Reconciliation:
    """Flag every figure of the query result ``raw``; pure, so a test can feed it a broken row."""
    keep = [i for i, c in enumerate(raw.columns) if c not in _HIDDEN]
    rows = []
    for figure, row in zip(raw.records(), raw.rows, strict=True):
        problems = differences(figure)
        rows.append((*(row[i] for i in keep), DIFFERENT if problems else OK, "; ".join(problems) or None))
    table = Table("rekonsiliasi", (*(raw.columns[i] for i in keep), "status", "selisih"),
                  (*(raw.kinds[i] for i in keep), "text", "text"), rows)
    return Reconciliation(province, int(tahun), table)


def reconcile(dsn: str, province: str, tahun: int) -> Reconciliation:
    """Compare the accepted files, core and the marts for one province-year (run after the marts' refresh)."""
    return check(marts.read(dsn, "publish/marts/reconcile.sql", province, tahun, "rekonsiliasi"), province, tahun)
