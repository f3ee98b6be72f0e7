"""Kota Batam's 2023 extreme-poverty BLT: 53 KK x Rp1,000,000 x 3 months = Rp159,000,000.

The recipients are poorest-decile (desil 1) JAMSOS households of Batam's 2022 registry, so
the same No KK, NIK and name appear in both years, as they would in the warehouse. The files
for 2023-10 to 2023-12 under 21.71 hold only BLT-EKSTREM rows; the figures live in
``targets/21.71-2023-blt-ekstrem.toml``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from bansos.domain.config import Province, load_province
from tools.synthetic import seeding
from tools.synthetic.allocation import allocate
from tools.synthetic.kepri2022 import DEFAULT_SEED, OnWritten, registry_window
from tools.synthetic.layout import extract_path, parse_period
from tools.synthetic.payments import payout_batch, pick_days
from tools.synthetic.rows import build_rows, dates_in_year, sort_rows
from tools.synthetic.targets import load_blt_targets, load_year_targets
from tools.synthetic.writer import write_csv

BATAM_BLT_2023 = "21.71-2023-blt-ekstrem"


def blt_rows(targets_name: str, province: Province, seed: int) -> dict[str, pd.DataFrame]:
    """Rows of each BLT month, the same households every month."""
    blt = load_blt_targets(targets_name, province)
    year_targets = load_year_targets(blt.drawn_from_year, province)
    kabkota = province.kabkota_by_code(blt.kabkota)
    allocation = allocate(year_targets, province, kabkota, seed, *registry_window(year_targets.year))
    pool = allocation.members[blt.drawn_from_programme]
    if blt.drawn_from_desil:
        pool = pool[allocation.households.desil[pool] == blt.drawn_from_desil]
    if len(pool) < blt.kk:
        raise ValueError(f"{blt.kabkota}: only {len(pool)} candidate households for {blt.kk} KK")
    rng = seeding.stream(seed, seeding.BLT, seeding.region_number(kabkota.kode))
    chosen = np.sort(rng.choice(pool, size=blt.kk, replace=False))
    result = {}
    for periode in blt.periods:
        year, month = parse_period(periode)
        # A bank transfer batch: one to three payout days in the month.
        day = pick_days(rng, payout_batch(rng, year, month), blt.kk)
        rows = build_rows(
            allocation.households,
            chosen,
            periode=periode,
            kode_kabkota=kabkota.kode,
            kode_program=blt.kode_program,
            nominal=blt.nominal,
            tanggal_salur=dates_in_year(year, np.full(blt.kk, month), day),
            saluran=blt.saluran,
        )
        result[periode] = sort_rows(rows)
    return result


def write_batam_blt_2023(
    landing_root: Path, *, seed: int = DEFAULT_SEED, on_written: OnWritten | None = None
) -> list[Path]:
    """Write Batam's 2023-10, 2023-11 and 2023-12 files with the extreme-poverty BLT rows.

    Use the same seed as ``write_kepri_2022`` to pay households of that registry.
    """
    province = load_province("21")
    blt = load_blt_targets(BATAM_BLT_2023, province)
    kabkota = province.kabkota_by_code(blt.kabkota)
    written = []
    for periode, rows in blt_rows(BATAM_BLT_2023, province, seed).items():
        path = extract_path(Path(landing_root), province.kode, kabkota, periode)
        count = write_csv(path, [rows])
        written.append(path)
        if on_written:
            on_written(path, count)
    return written
