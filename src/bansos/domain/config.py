"""Province and programme settings, read from ``include/config/provinces/*.toml``.

A province's kab/kota list, deadline and programme catalogue with its payment rules are
configuration, not code: another province copies the TOML file and changes the values.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from bansos.domain.resources import CONFIG_DIR

PROVINCES_DIR = CONFIG_DIR / "provinces"
# Rows a correction list shows at most when the province sets none: a kab/kota office works through a
# few thousand lines; beyond that the list states the total and the file has a systematic fault.
DEFAULT_CORRECTION_MAX_ROWS = 5000


@dataclass(frozen=True)
class KabKota:
    kode: str
    nama: str
    short: str


@dataclass(frozen=True)
class Programme:
    kode: str
    nama: str
    nominal_min: int
    nominal_max: int
    max_per_year: int
    channels: tuple[str, ...]
    group: bool


@dataclass(frozen=True)
class Province:
    kode: str
    nama: str
    timezone: str
    deadline_day: int
    kabkota: tuple[KabKota, ...]
    programmes: tuple[Programme, ...]
    correction_max_rows: int = DEFAULT_CORRECTION_MAX_ROWS

    def kabkota_by_code(self, kode: str) -> KabKota:
        for kk in self.kabkota:
            if kk.kode == kode:
                return kk
        raise KeyError(f"kab/kota {kode} is not part of province {self.kode} ({self.nama})")

    def programme(self, kode: str) -> Programme:
        for p in self.programmes:
            if p.kode == kode:
                return p
        raise KeyError(f"programme {kode} is not in the catalogue of province {self.kode}")

    @property
    def kabkota_codes(self) -> list[str]:
        return [kk.kode for kk in self.kabkota]


def _parse(path: Path) -> Province:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    prov = raw["province"]
    kabkota = tuple(KabKota(k["kode"], k["nama"], k["short"]) for k in raw["kabkota"])
    programmes = tuple(
        Programme(
            kode=p["kode"],
            nama=p["nama"],
            nominal_min=int(p["nominal_min"]),
            nominal_max=int(p["nominal_max"]),
            max_per_year=int(p["max_per_year"]),
            channels=tuple(p["channels"]),
            group=bool(p.get("group", False)),
        )
        for p in raw["programme"]
    )
    for kk in kabkota:
        if not kk.kode.startswith(prov["kode"] + "."):
            raise ValueError(f"{path.name}: kab/kota {kk.kode} is outside province {prov['kode']}")
    correction_max_rows = int(prov.get("correction_max_rows", DEFAULT_CORRECTION_MAX_ROWS))
    if correction_max_rows < 1:
        raise ValueError(f"{path.name}: correction_max_rows must be at least 1, not {correction_max_rows}")
    return Province(
        kode=prov["kode"],
        nama=prov["nama"],
        timezone=prov.get("timezone", "Asia/Jakarta"),
        deadline_day=int(prov.get("deadline_day", 10)),
        kabkota=kabkota,
        programmes=programmes,
        correction_max_rows=correction_max_rows,
    )


@cache
def load_province(kode: str, config_dir: Path = PROVINCES_DIR) -> Province:
    """The province whose config file name starts with its Kemendagri code (``21-...toml``)."""
    matches = sorted(config_dir.glob(f"{kode}-*.toml"))
    if not matches:
        known = ", ".join(p.name for p in sorted(config_dir.glob("*.toml"))) or "none"
        raise FileNotFoundError(f"no configuration for province {kode} in {config_dir} (have: {known})")
    return _parse(matches[0])
