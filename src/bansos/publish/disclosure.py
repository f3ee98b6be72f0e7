"""Small-cell suppression: published figures below kab/kota level never single out a few households.

A kecamatan row that counts fewer than 5 households (``kk_assisted`` 1-4) is a primary suppression:
every figure of the row (KK, persons, distributions, Rupiah, averages) is replaced by ``<5``.
Hiding only those is not enough, because distributions and Rupiah add up: the kab/kota total minus
the other kecamatan, the all-programmes row minus the other programmes, or the quarter minus its
other months would give the hidden figure back. So wherever exactly one row of such a sum is hidden,
the smallest other row of that sum is hidden too (a complementary suppression, marked ``x``), and
this repeats until no sum has a single hidden row. The sums considered:

1. the kecamatan of one kab/kota (same period and programme) add up to the kab/kota row;
2. the programme rows of one kecamatan-period add up to its all-programmes row;
3. the months of a quarter add up to the quarter, the quarters of a year to the year
   (same kecamatan and programme).

Province and kab/kota rows are never suppressed: the province publishes them (its 2022 table has a
kab/kota cell of 10 KK). Pure functions over :class:`bansos.publish.marts.Table`; no database.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from bansos.publish.marts import Table

THRESHOLD = 5
PRIMARY = "<5"
SECONDARY = "x"
MEASURES = ("recipients", "kk_assisted", "kk_sum_programmes", "persons", "distributions", "total_rupiah",
            "nontunai_rupiah", "avg_rupiah_per_kk", "avg_rupiah_per_distribution", "kk_sum_programmes_final")
NOTE_COLUMN = "sensor"
NOTE = (
    "Baris kecamatan dengan kurang dari 5 KK disembunyikan ('<5'); baris lain yang dapat dipakai untuk "
    "menghitung kembali angka tersebut juga disembunyikan ('x'). Angka provinsi dan kabupaten/kota lengkap. "
    "(Kecamatan rows with fewer than 5 households are suppressed as '<5'; rows that would let them be "
    "recomputed are suppressed as 'x'. Province and kab/kota figures are complete.)"
)


@dataclass(frozen=True)
class Suppression:
    primary: int
    secondary: int

    @property
    def total(self) -> int:
        return self.primary + self.secondary


def _lines(records: list[dict]) -> list[list[int]]:
    """Groups of kecamatan rows that appear together in one additive equation (see module docstring)."""
    by_kabkota, by_kecamatan, by_quarter, by_year = (defaultdict(list) for _ in range(4))
    for i, r in enumerate(records):
        if r["tingkat"] != "kecamatan":
            continue
        period = (r["jenis_periode"], r["triwulan"], r["bulan"])
        by_kabkota[(period, r["kode_kabkota"], r["kode_program"])].append(i)
        by_kecamatan[(period, r["kode_kecamatan"])].append(i)
        if r["jenis_periode"] in ("bulan", "triwulan"):
            by_quarter[(r["kode_kecamatan"], r["kode_program"], r["triwulan"])].append(i)
        if r["jenis_periode"] in ("triwulan", "tahun"):
            by_year[(r["kode_kecamatan"], r["kode_program"])].append(i)
    return [line for group in (by_kabkota, by_kecamatan, by_quarter, by_year) for line in group.values()
            if len(line) > 1]


def suppression_marks(records: list[dict], threshold: int = THRESHOLD) -> dict[int, str]:
    """Row index -> ``<5`` or ``x`` for every row to hide."""
    marks = {i: PRIMARY for i, r in enumerate(records)
             if r["tingkat"] == "kecamatan" and 0 < r["kk_assisted"] < threshold}
    lines = _lines(records)
    changed = bool(marks)
    while changed:
        changed = False
        for line in lines:
            hidden = [i for i in line if i in marks]
            if len(hidden) != 1:
                continue
            visible = [i for i in line if i not in marks]
            smallest = min(visible, key=lambda i: (records[i]["kk_assisted"], records[i]["distributions"], i))
            marks[smallest] = SECONDARY
            changed = True
    return marks


def suppress(table: Table, threshold: int = THRESHOLD) -> tuple[Table, Suppression]:
    """The distribution table with small cells hidden and a ``sensor`` column saying which and why."""
    records = table.records()
    marks = suppression_marks(records, threshold)
    measure_idx = [table.index(m) for m in MEASURES if m in table.columns]
    rows = []
    for i, row in enumerate(table.rows):
        mark = marks.get(i)
        if mark is None:
            rows.append((*row, None))
            continue
        cells = list(row)
        for j in measure_idx:
            cells[j] = mark
        rows.append((*cells, mark))
    out = Table(table.name, (*table.columns, NOTE_COLUMN), (*table.kinds, "text"), rows)
    primary = sum(1 for m in marks.values() if m == PRIMARY)
    return out, Suppression(primary, len(marks) - primary)
