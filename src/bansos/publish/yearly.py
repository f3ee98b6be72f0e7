"""Refresh the summary mart of a province-year and render the province's yearly table.

The refresh is a DELETE + INSERT of one province-year inside one transaction, under an advisory
lock, so concurrent monthly runs of the same year serialise and the last one sees every merge.
"""

from __future__ import annotations

from dataclasses import dataclass

from bansos.domain.config import Province
from bansos.warehouse import sqlfiles
from bansos.warehouse.database import connect


def refresh_summary(dsn: str, province: str, tahun: int) -> int:
    """Recompute ``mart.distribution_summary`` for one province and year; returns rows written."""
    with connect(dsn) as conn, conn.cursor() as cur:
        sqlfiles.run_script(cur, sqlfiles.read("publish/refresh_summary.sql"), {"province": province, "tahun": tahun})
        written = cur.rowcount
    return written


@dataclass
class YearlyTable:
    province: Province
    tahun: int
    kk: dict[tuple[str, str], int]  # (programme or "", kab/kota or "") -> KK assisted
    kk_sum_programmes: int
    kk_distinct: int
    total_rupiah: int
    # issue 13: the headline over final (approved) kab/kota-months only, and how many are not final yet
    kk_sum_programmes_final: int | None = None
    provisional_months: int | None = None

    def cell(self, programme: str, kabkota: str) -> int:
        return self.kk.get((programme, kabkota), 0)

    def render(self) -> str:
        kabkota = list(self.province.kabkota)
        programmes = [p for p in self.province.programmes if any(k[0] == p.kode for k in self.kk)]
        width = max(len(p.kode) for p in programmes) if programmes else 8
        header = f"{'programme':<{width}} " + " ".join(f"{k.short[:12]:>12}" for k in kabkota) + f" {'total':>10}"
        codes = " " * (width + 1) + " ".join(f"{k.kode:>12}" for k in kabkota)
        lines = [f"KK assisted, {self.province.nama} ({self.province.kode}), {self.tahun}", header, codes]
        for p in programmes:
            cells = " ".join(f"{self._fmt(self.cell(p.kode, k.kode)):>12}" for k in kabkota)
            lines.append(f"{p.kode:<{width}} {cells} {self._fmt(self.cell(p.kode, '')):>10}")
        lines.append("-" * len(header))
        lines.append(f"KK assisted, summed over programmes (the province's figure): {self.kk_sum_programmes:,}")
        lines.append(f"Distinct households over all programmes:                   {self.kk_distinct:,}")
        lines.append(f"Total distributed: Rp{self.total_rupiah:,}".replace(",", "."))
        return "\n".join(lines)

    def approval_line(self) -> str:
        """How much of the year the province has signed: the final-only headline and the provisional
        kab/kota-months. Printed beside :meth:`render`, whose table (and its headline) stays as it was."""
        if self.kk_sum_programmes_final is None:
            return "Approval: the marts carry no approval state yet (refresh them)"
        return (f"KK assisted over final (approved) kab/kota-months only: {self.kk_sum_programmes_final:,}; "
                f"kab/kota-months still provisional: {self.provisional_months or 0}")

    @staticmethod
    def _fmt(n: int) -> str:
        return f"{n:,}" if n else "-"


def yearly_table(dsn: str, province: Province, tahun: int) -> YearlyTable:
    """KK assisted per programme x kab/kota for a year, with the province's headline sum, from the summary mart."""
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sqlfiles.read("publish/yearly_table.sql"), {"province": province.kode, "tahun": tahun})
        rows = cur.fetchall()
    kk, total = {}, (0, 0, 0, None, None)
    for programme, kabkota, kk_assisted, kk_sum, _distributions, rupiah, kk_final, provisional in rows:
        if programme == "" and kabkota == "":
            total = (kk_sum, kk_assisted, rupiah, kk_final, provisional)
        elif programme:
            kk[(programme, kabkota)] = kk_assisted
    return YearlyTable(province, tahun, kk, total[0], total[1], int(total[2] or 0), total[3], total[4])
