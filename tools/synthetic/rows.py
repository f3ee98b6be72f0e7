"""Distributions and households -> rows in the extract template's columns.

This is the boundary between building data and writing files: everything before it works on
numpy columns, everything after it (a future defect injector, the CSV writer) on a pandas
DataFrame whose columns are exactly ``layout.COLUMNS``, all text, empty string for "no value".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tools.synthetic.households import Households
from tools.synthetic.layout import COLUMNS

# Rows of a file are sorted by these columns; (kode_program, no_kk) is unique within a month.
SORT_KEY = ["kode_program", "kode_kecamatan", "kode_desa", "no_kk"]

_DATES = np.array(
    [[f"{m:02d}-{d:02d}" for d in range(32)] for m in range(13)],
    dtype=object,
)


def dates_in_year(year: int, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """ISO dates ``YYYY-MM-DD`` for arrays of months and days (the days are already valid)."""
    return f"{year:04d}-" + _DATES[month, day]


def _column(value: object, n: int) -> np.ndarray:
    if isinstance(value, np.ndarray):
        if len(value) != n:
            raise ValueError(f"column has {len(value)} values for {n} rows")
        return value if value.dtype == object else value.astype(str).astype(object)
    return np.full(n, str(value), dtype=object)


def build_rows(
    households: Households,
    household: np.ndarray,
    *,
    periode: str | np.ndarray,
    kode_kabkota: str,
    kode_program: str | np.ndarray,
    nominal: int | np.ndarray,
    tanggal_salur: np.ndarray,
    saluran: str | np.ndarray,
    id_kelompok: str | np.ndarray = "",
) -> pd.DataFrame:
    """One row per entry of ``household`` (indices into ``households``), template column order."""
    n = len(household)
    hh = households.take(household)
    data = {
        "periode": _column(periode, n),
        "kode_kabkota": _column(kode_kabkota, n),
        "kode_kecamatan": hh.kode_kecamatan,
        "kode_desa": hh.kode_desa,
        "no_kk": hh.no_kk,
        "nik": hh.nik,
        "nama": hh.nama,
        "jenis_kelamin": hh.jenis_kelamin,
        "tanggal_lahir": hh.tanggal_lahir,
        "alamat": hh.alamat,
        "kode_program": _column(kode_program, n),
        "nominal": _column(nominal, n),
        "tanggal_salur": _column(tanggal_salur, n),
        "saluran": _column(saluran, n),
        "desil": hh.desil,
        "id_kelompok": _column(id_kelompok, n),
    }
    return pd.DataFrame({name: data[name] for name in COLUMNS}, dtype=object)


def sort_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """The deterministic order of rows inside one file."""
    return rows.sort_values(SORT_KEY, kind="stable").reset_index(drop=True)
