"""The province's own tables, pivoted from the marts: the yearly table, the monthly trend, the matrix.

These are what an office reads first: KK assisted per programme x kab/kota for the year (the shape of
the province's annual report), the month-by-month figures of the province, and the completeness
matrix kab/kota x month with reporting rates beneath, as DHIS2 shows them. Pure functions from
:class:`bansos.publish.marts.Table` to :class:`~bansos.publish.marts.Table`, shared by the workbook and the HTML
report. All figures here are province or kab/kota level, so nothing needs suppressing.
"""

from __future__ import annotations

from bansos.domain.config import Province
from bansos.publish.marts import Table

MONTHS = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")
STATUS_LABEL = {"on_time": "tepat waktu", "late": "terlambat", "rejected": "ditolak",
                "pending": "sedang diproses", "missing": "tidak ada", "not_due": "belum jatuh tempo"}


def _rows(distribution: Table, **where) -> list[dict]:
    return [r for r in distribution.records() if all(r[k] == v for k, v in where.items())]


# How a programme's counting unit (include/config/provinces/*.toml) is named in the report.
UNIT_LABEL = {"households": "KK", "persons": "orang"}


def programmes_present(distribution: Table, province: Province) -> list:
    codes = {r["kode_program"] for r in distribution.records() if r["kode_program"]}
    return [p for p in province.programmes if p.kode in codes]


def yearly_table(distribution: Table, province: Province, measure: str = "kk_assisted") -> Table:
    """``measure`` per programme (rows) and kab/kota (columns) for the year, with the province in the last
    column. For KK the foot has the province's headline (KK summed over programmes) and distinct
    households; for ``recipients`` (each programme in its counting unit) there is no foot; for other
    measures, the all-programmes total."""
    year = _rows(distribution, jenis_periode="tahun")
    cell = {(r["kode_program"], r["kode_kabkota"]): r for r in year if r["tingkat"] != "kecamatan"}
    kabkota = list(province.kabkota)
    kind = "rupiah" if "rupiah" in measure else "int"
    columns = ("kode_program", "program", *(f"{k.short} ({k.kode})" for k in kabkota), "Provinsi")
    kinds = ("text", "text", *(kind for _ in kabkota), kind)

    def line(code, label: str, field: str) -> tuple:
        values = [cell.get((code, k.kode), {}).get(field) for k in kabkota]
        return (code or "", label, *values, cell.get((code, None), {}).get(field))

    present = programmes_present(distribution, province)
    if measure == "recipients":
        # each programme in its own counting unit (KK or persons): no total across programmes
        return Table(f"tahunan_{measure}", columns, kinds,
                     [line(p.kode, f"{p.nama} ({UNIT_LABEL[p.counting_unit]})", measure) for p in present])
    rows = [line(p.kode, p.nama, measure) for p in present]
    if measure == "kk_assisted":
        rows.append(line(None, "KK dibantu, dijumlah atas program (angka provinsi)", "kk_sum_programmes"))
        rows.append(line(None, "KK berbeda, semua program", "kk_assisted"))
    else:
        rows.append(line(None, "Semua program", measure))
    return Table(f"tahunan_{measure}", columns, kinds, rows)


def monthly_trend(distribution: Table, province: Province) -> Table:
    """Province figures per month: KK per programme, distinct KK, the programme sum, distributions, Rupiah."""
    months = _rows(distribution, jenis_periode="bulan", tingkat="provinsi")
    programmes = programmes_present(distribution, province)
    by = {(r["bulan"], r["kode_program"]): r for r in months}
    columns = ("bulan", "periode", *(f"kk_{p.kode}" for p in programmes), "kk_assisted", "kk_sum_programmes",
               "distributions", "total_rupiah")
    kinds = ("int", "text", *("int" for _ in programmes), "int", "int", "int", "rupiah")
    rows = []
    for m in sorted({r["bulan"] for r in months}):
        total = by[(m, None)]
        rows.append((m, total["periode"], *(by.get((m, p.kode), {}).get("kk_assisted") for p in programmes),
                     total["kk_assisted"], total["kk_sum_programmes"], total["distributions"],
                     total["total_rupiah"]))
    return Table("tren_bulanan", columns, kinds, rows)


def completeness_matrix(completeness: Table, rates: Table, province: Province) -> Table:
    """Kab/kota (rows) x month (columns) with the status label in each cell, then the reporting rate and the
    on-time rate per month; the last column is the year."""
    cell = {(r["kode_kabkota"], r["bulan"]): r["status"] for r in completeness.records()}
    rate = {r["bulan"]: r for r in rates.records()}
    columns = ("kode_kabkota", "kabupaten_kota", *MONTHS, "Setahun")
    kinds = ("text", "text", *("text" for _ in MONTHS), "text")
    rows = []
    for k in province.kabkota:
        statuses = [cell.get((k.kode, m)) for m in range(1, 13)]
        received = sum(s in ("on_time", "late") for s in statuses)
        expected = sum(s not in (None, "not_due") for s in statuses)
        rows.append((k.kode, k.nama, *(STATUS_LABEL.get(s, "") for s in statuses), f"{received}/{expected}"))

    def pct(value) -> str:
        return "" if value is None else f"{float(value):.1f}%".replace(".", ",")

    rows.append(("", "Tingkat pelaporan (diterima / diharapkan)",
                 *(pct(rate.get(m, {}).get("reporting_rate_pct")) for m in range(1, 13)),
                 pct(rate.get(None, {}).get("reporting_rate_pct"))))
    rows.append(("", "Tepat waktu (tepat waktu / diharapkan)",
                 *(pct(rate.get(m, {}).get("on_time_rate_pct")) for m in range(1, 13)),
                 pct(rate.get(None, {}).get("on_time_rate_pct"))))
    return Table("matriks_kelengkapan", columns, kinds, rows)
