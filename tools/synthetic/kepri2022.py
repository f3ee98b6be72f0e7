"""A year of monthly extracts for a whole province that reproduces its published KK figures.

``write_kepri_2022`` writes Kepulauan Riau 2022: 12 months x 7 kab/kota = 84 files in which
the distinct No KK per programme and kab/kota over the year equal the province's 2022 report
(``targets/21-2022.toml``), 58,849 KK summed over programmes. Any other year with a targets
file goes through ``write_year``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from bansos.domain.config import KabKota, Province, load_province
from tools.synthetic.allocation import allocate
from tools.synthetic.layout import extract_path
from tools.synthetic.rows import build_rows, dates_in_year, sort_rows
from tools.synthetic.schedule import schedule
from tools.synthetic.targets import YearTargets, load_year_targets
from tools.synthetic.writer import write_csv

KEPRI_2022 = "21-2022"
DEFAULT_SEED = 2022

# Called with (path, rows) after each file is written: lets the command report progress.
OnWritten = Callable[[Path, int], None]


def registry_window(year: int) -> tuple[date, date]:
    """Recipients of a year's registry are 18-85 through that year and the next one, so the
    next year's datasets (the 2023 Batam BLT) can pay the same people."""
    return date(year, 1, 1), date(year + 1, 12, 31)


def kabkota_year_rows(
    targets: YearTargets, province: Province, kabkota: KabKota, seed: int
) -> dict[str, pd.DataFrame]:
    """The rows of each month of the year for one kab/kota, sorted; every month has rows
    when the kab/kota has any distribution at all."""
    allocation = allocate(targets, province, kabkota, seed, *registry_window(targets.year))
    dist = schedule(allocation, targets, province, seed)
    if len(dist.household) == 0:
        return {}
    missing = sorted(set(range(1, 13)) - set(np.unique(dist.month).tolist()))
    if missing:
        raise ValueError(f"{kabkota.kode} {targets.year}: no distribution in months {missing}")
    periode = np.array([f"{targets.year:04d}-{m:02d}" for m in range(13)], dtype=object)[dist.month]
    rows = build_rows(
        allocation.households,
        dist.household,
        periode=periode,
        kode_kabkota=kabkota.kode,
        kode_program=dist.kode_program,
        nominal=dist.nominal,
        tanggal_salur=dates_in_year(targets.year, dist.month, dist.day),
        saluran=dist.saluran,
        id_kelompok=dist.id_kelompok,
    )
    return {p: sort_rows(group) for p, group in rows.groupby("periode", sort=True)}


def write_year(
    landing_root: Path,
    targets_name: str,
    *,
    seed: int = DEFAULT_SEED,
    province_kode: str = "21",
    on_written: OnWritten | None = None,
) -> list[Path]:
    """Write every kab/kota-month file of the targets' year under ``landing_root``."""
    province = load_province(province_kode)
    targets = load_year_targets(targets_name, province)
    written: list[Path] = []
    for kabkota in province.kabkota:
        for periode, rows in kabkota_year_rows(targets, province, kabkota, seed).items():
            path = extract_path(Path(landing_root), province.kode, kabkota, str(periode))
            count = write_csv(path, [rows])
            written.append(path)
            if on_written:
                on_written(path, count)
    return written


def write_kepri_2022(
    landing_root: Path, *, seed: int = DEFAULT_SEED, on_written: OnWritten | None = None
) -> list[Path]:
    """Kepulauan Riau 2022: 84 files reproducing the province's 2022 KK table."""
    return write_year(landing_root, KEPRI_2022, seed=seed, province_kode="21", on_written=on_written)
