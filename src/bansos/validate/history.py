"""The row-count rule: is this month's extract suspiciously larger or smaller than the kab/kota's usual?

A modified z-score (Iglewicz and Hoaglin) against the kab/kota's own last twelve loaded months:
``z = 0.6745 (x - median) / MAD``, flagged beyond 3.5. Median and MAD are not dragged by the one
odd month the rule is looking for, unlike a mean and standard deviation. The bounds are handed to
the GX suite as expectation parameters, so the rule itself stays in ``expectations/``.
"""

from __future__ import annotations

from statistics import median

from bansos.warehouse import sqlfiles
from bansos.warehouse.database import connect

THRESHOLD = 3.5
MIN_HISTORY = 3
MONTHS = 12


def bounds(counts: list[int]) -> tuple[int, int | None]:
    """(min, max) row counts with |modified z| <= 3.5; no bounds with fewer than 3 months of history."""
    if len(counts) < MIN_HISTORY:
        return 0, None
    mid = median(counts)
    mad = median(abs(c - mid) for c in counts)
    mad = max(mad, 0.01 * mid, 1.0)  # a perfectly regular history still allows a little change
    spread = THRESHOLD * mad / 0.6745
    return max(0, int(mid - spread)), int(mid + spread) + 1


def row_count_bounds(dsn: str, province: str, periode: str, kode_kabkota: str) -> dict:
    """The row-count rule's bounds for this kab/kota-month, from its own last loaded months.

    Returned as the suite's parameters (``row_count_min``, ``row_count_max``), so the rule stays in the suite.
    """
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            sqlfiles.read("validate/row_count_history.sql"),
            {"province": province, "periode": periode, "kode_kabkota": kode_kabkota, "months": MONTHS},
        )
        counts = [n for (n,) in cur.fetchall()]
    low, high = bounds(counts)
    return {"row_count_min": low, "row_count_max": high}
