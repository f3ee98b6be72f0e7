"""Province and programme settings, read from ``include/config/provinces/*.toml``.

A province's kab/kota list, deadline and programme catalogue with its payment rules are
configuration, not code: another province copies the TOML file and changes the values.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from bansos.domain.resources import CONFIG_DIR

# ``BANSOS_PROVINCES_DIR`` replaces the folder for a whole stack: the province-month benchmark's synthetic
# 38-kab/kota province (benchmarks/province/) runs on a stack of its own without joining the real provinces.
PROVINCES_DIR = Path(os.environ.get("BANSOS_PROVINCES_DIR") or CONFIG_DIR / "provinces")
# Rows a correction list shows at most when the province sets none: a kab/kota office works through a
# few thousand lines; beyond that the list states the total and the file has a systematic fault.
DEFAULT_CORRECTION_MAX_ROWS = 5000
# How long a month's approval may wait before the province is alerted (issue 13): 14 days. Never approves.
DEFAULT_APPROVAL_TIMEOUT_HOURS = 336


@dataclass(frozen=True)
class KabKota:
    kode: str
    nama: str
    short: str


SEVERITIES = ("error", "warning")
# What "assisted" counts for a programme: distinct No KK (households, the default) or distinct NIK (persons).
COUNTING_UNITS = ("households", "persons")


@dataclass(frozen=True)
class Programme:
    """One programme of the catalogue with its payment rules.

    The rules across months (``max_per_year``, ``max_per_lifetime``: per household and per NIK) and on the
    target group (``desil_max``, ``desil_required``) each carry a severity the province sets: ``error``
    rejects the file, ``warning`` merges it and alerts. The suite's rules are the same for every province;
    these values reach them through ``ref.programme`` and the facts stage computes.

    ``counting_unit`` says what the programme's published "assisted" figure counts: ``households``
    (distinct No KK, e.g. PKH's KPM) or ``persons`` (distinct NIK, e.g. a BLT planned per person from
    P3KE). For a persons programme the household rules (once a month, per year, per lifetime) do not
    apply: several members of one household may each receive it; the same rules per NIK still do.
    """

    kode: str
    nama: str
    nominal_min: int
    nominal_max: int
    max_per_year: int
    channels: tuple[str, ...]
    group: bool
    max_per_year_severity: str = "error"
    max_per_lifetime: int | None = None
    max_per_lifetime_severity: str = "error"
    desil_max: int | None = None
    desil_required: bool = False
    desil_severity: str = "error"
    counting_unit: str = "households"

    @property
    def counts_persons(self) -> bool:
        return self.counting_unit == "persons"


@dataclass(frozen=True)
class Province:
    kode: str
    nama: str
    timezone: str
    deadline_day: int
    kabkota: tuple[KabKota, ...]
    programmes: tuple[Programme, ...]
    # the reasons (alasan) the province's exclusion registry may give, [exclusions] alasan in the TOML
    exclusion_reasons: tuple[str, ...] = ("meninggal", "pindah")
    correction_max_rows: int = DEFAULT_CORRECTION_MAX_ROWS
    # hours a month's approval request may wait before an "approval_overdue" alert; never a silent approval
    approval_timeout_hours: int = DEFAULT_APPROVAL_TIMEOUT_HOURS

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


def _severity(path: Path, p: dict, key: str) -> str:
    value = p.get(key, "error")
    if value not in SEVERITIES:
        raise ValueError(f"{path.name}: programme {p['kode']}: {key} must be one of {SEVERITIES}, not {value!r}")
    return value


def _counting_unit(path: Path, p: dict) -> str:
    value = p.get("counting_unit", "households")
    if value not in COUNTING_UNITS:
        raise ValueError(f"{path.name}: programme {p['kode']}: counting_unit must be one of {COUNTING_UNITS}, "
                         f"not {value!r}")
    return value


def _optional_int(path: Path, p: dict, key: str, low: int, high: int | None = None) -> int | None:
    if key not in p:
        return None
    value = int(p[key])
    if value < low or (high is not None and value > high):
        raise ValueError(f"{path.name}: programme {p['kode']}: {key} = {value} is outside {low}..{high or ''}")
    return value


def _programme(path: Path, p: dict) -> Programme:
    return Programme(
        kode=p["kode"],
        nama=p["nama"],
        nominal_min=int(p["nominal_min"]),
        nominal_max=int(p["nominal_max"]),
        max_per_year=int(p["max_per_year"]),
        channels=tuple(p["channels"]),
        group=bool(p.get("group", False)),
        max_per_year_severity=_severity(path, p, "max_per_year_severity"),
        max_per_lifetime=_optional_int(path, p, "max_per_lifetime", 1),
        max_per_lifetime_severity=_severity(path, p, "max_per_lifetime_severity"),
        desil_max=_optional_int(path, p, "desil_max", 1, 10),
        desil_required=bool(p.get("desil_required", False)),
        desil_severity=_severity(path, p, "desil_severity"),
        counting_unit=_counting_unit(path, p),
    )


def _parse(path: Path) -> Province:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    prov = raw["province"]
    kabkota = tuple(KabKota(k["kode"], k["nama"], k["short"]) for k in raw["kabkota"])
    programmes = tuple(_programme(path, p) for p in raw["programme"])
    for kk in kabkota:
        if not kk.kode.startswith(prov["kode"] + "."):
            raise ValueError(f"{path.name}: kab/kota {kk.kode} is outside province {prov['kode']}")
    correction_max_rows = int(prov.get("correction_max_rows", DEFAULT_CORRECTION_MAX_ROWS))
    if correction_max_rows < 1:
        raise ValueError(f"{path.name}: correction_max_rows must be at least 1, not {correction_max_rows}")
    approval_timeout_hours = int(prov.get("approval_timeout_hours", DEFAULT_APPROVAL_TIMEOUT_HOURS))
    if approval_timeout_hours < 1:
        raise ValueError(f"{path.name}: approval_timeout_hours must be at least 1, not {approval_timeout_hours}")
    return Province(
        kode=prov["kode"],
        nama=prov["nama"],
        timezone=prov.get("timezone", "Asia/Jakarta"),
        deadline_day=int(prov.get("deadline_day", 10)),
        kabkota=kabkota,
        programmes=programmes,
        exclusion_reasons=tuple(r.lower() for r in raw.get("exclusions", {}).get("alasan", ("meninggal", "pindah"))),
        correction_max_rows=correction_max_rows,
        approval_timeout_hours=approval_timeout_hours,
    )


@cache
def load_province(kode: str, config_dir: Path = PROVINCES_DIR) -> Province:
    """The province whose config file name starts with its Kemendagri code (``21-...toml``)."""
    matches = sorted(config_dir.glob(f"{kode}-*.toml"))
    if not matches:
        known = ", ".join(p.name for p in sorted(config_dir.glob("*.toml"))) or "none"
        raise FileNotFoundError(f"no configuration for province {kode} in {config_dir} (have: {known})")
    return _parse(matches[0])
