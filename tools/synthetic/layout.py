"""The extract template's columns and the landing folder layout (shared/CONTRACT.md, version 1).

Kept in one place so that every dataset the generator writes has the same header, in the same
order, and lands where the pipeline's extract step looks:
``<landing root>/<kode_provinsi>/<YYYY-MM>/<kode_kabkota>/penyaluran_<short>_<YYYYMM>.csv``.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from pathlib import Path

from bansos.domain.config import KabKota
from bansos.stage.contract import COLUMN_NAMES

# Template version 1, in the template's order, from the module that reads received files, so
# the generator and the reader can never disagree. Optional columns (alamat, desil,
# id_kelompok) are always written, possibly empty.
COLUMNS: tuple[str, ...] = COLUMN_NAMES

_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


def parse_period(periode: str) -> tuple[int, int]:
    """``"2022-12"`` -> ``(2022, 12)``; raises ValueError for anything else."""
    match = _PERIOD.match(periode)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"period {periode!r} is not YYYY-MM")
    return int(match.group(1)), int(match.group(2))


def period_bounds(periode: str) -> tuple[date, date]:
    """First and last day of the month."""
    year, month = parse_period(periode)
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def file_slug(short: str) -> str:
    """``"Tanjungpinang"`` -> ``"tanjungpinang"``; anything but letters and digits becomes ``_``."""
    return re.sub(r"[^a-z0-9]+", "_", short.lower()).strip("_")


def extract_path(landing_root: Path, province: str, kabkota: KabKota, periode: str) -> Path:
    """Where a kab/kota's extract for a month goes in the landing area."""
    year, month = parse_period(periode)
    name = f"penyaluran_{file_slug(kabkota.short)}_{year:04d}{month:02d}.csv"
    return Path(landing_root) / province / periode / kabkota.kode / name
