"""The figures a synthetic dataset must reproduce, read from ``targets/*.toml``.

Report figures (KK per programme and kab/kota, the Batam BLT) are data: they come from the
province's publications and are checked here against the province configuration (known
kab/kota, catalogue programmes, payment rules) and against their own stated totals, so that a
typo in a figure fails loudly instead of producing a quietly wrong dataset.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from bansos.domain.config import Province

TARGETS_DIR = Path(__file__).resolve().parent / "targets"


@dataclass(frozen=True)
class Pattern:
    """How one programme is distributed over a year."""

    kode: str
    distributions_per_year: int
    overlap_from: tuple[str, ...] = ()
    overlap_share: float = 0.0
    group_size_min: int = 0
    group_size_max: int = 0


@dataclass(frozen=True)
class YearTargets:
    """KK assisted per programme and kab/kota over one year, and how to distribute them."""

    province: str
    year: int
    total_kk: int
    patterns: tuple[Pattern, ...]  # in allocation order
    kk: dict[str, dict[str, int]]  # programme -> kab/kota -> KK

    def kk_for(self, programme: str, kabkota: str) -> int:
        return self.kk.get(programme, {}).get(kabkota, 0)


@dataclass(frozen=True)
class BltTargets:
    """A fixed monthly cash transfer to a fixed number of households of one kab/kota."""

    province: str
    kabkota: str
    kode_program: str
    kk: int
    nominal: int
    saluran: str
    periods: tuple[str, ...]
    total_nominal: int
    drawn_from_year: str
    drawn_from_programme: str
    drawn_from_desil: str


def _read(name: str, targets_dir: Path) -> tuple[Path, dict]:
    path = Path(name) if Path(name).suffix == ".toml" else targets_dir / f"{name}.toml"
    return path, tomllib.loads(path.read_text(encoding="utf-8"))


def load_year_targets(name: str, province: Province, targets_dir: Path = TARGETS_DIR) -> YearTargets:
    """``load_year_targets("21-2022", load_province("21"))``; ``name`` may also be a path."""
    path, raw = _read(name, targets_dir)
    head = raw["year"]
    if head["province"] != province.kode:
        raise ValueError(f"{path.name}: targets for province {head['province']}, not {province.kode}")
    order = list(head["programmes"])
    patterns = []
    for kode in order:
        rule = province.programme(kode)  # raises for a programme outside the catalogue
        p = raw["pattern"][kode]
        pattern = Pattern(
            kode=kode,
            distributions_per_year=int(p["distributions_per_year"]),
            overlap_from=tuple(p.get("overlap_from", ())),
            overlap_share=float(p.get("overlap_share", 0.0)),
            group_size_min=int(p.get("group_size_min", 0)),
            group_size_max=int(p.get("group_size_max", 0)),
        )
        most = min(12, rule.max_per_year, rule.max_per_lifetime or 12)
        if not 1 <= pattern.distributions_per_year <= most:
            raise ValueError(
                f"{path.name}: {kode} distributions_per_year {pattern.distributions_per_year} "
                f"breaks max_per_year {rule.max_per_year} or max_per_lifetime {rule.max_per_lifetime}"
            )
        for source in pattern.overlap_from:
            if source not in order[: order.index(kode)]:
                raise ValueError(f"{path.name}: {kode} overlaps {source}, which is not allocated before it")
        if rule.group and not 1 <= pattern.group_size_min <= pattern.group_size_max:
            raise ValueError(f"{path.name}: group programme {kode} needs group_size_min/max")
        patterns.append(pattern)
    kk: dict[str, dict[str, int]] = {}
    for kode in order:
        table = {str(k): int(v) for k, v in raw["kk"].get(kode, {}).items()}
        for kabkota, value in table.items():
            province.kabkota_by_code(kabkota)  # raises for a kab/kota outside the province
            if value < 0:
                raise ValueError(f"{path.name}: negative KK for {kode} in {kabkota}")
        kk[kode] = table
    unknown = sorted(set(raw["kk"]) - set(order))
    if unknown:
        raise ValueError(f"{path.name}: KK tables for programmes not in year.programmes: {unknown}")
    total = sum(sum(t.values()) for t in kk.values())
    if total != int(head["total_kk"]):
        raise ValueError(f"{path.name}: KK tables sum to {total}, total_kk says {head['total_kk']}")
    return YearTargets(
        province=province.kode,
        year=int(head["year"]),
        total_kk=total,
        patterns=tuple(patterns),
        kk=kk,
    )


def load_blt_targets(name: str, province: Province, targets_dir: Path = TARGETS_DIR) -> BltTargets:
    """``load_blt_targets("21.71-2023-blt-ekstrem", load_province("21"))``."""
    path, raw = _read(name, targets_dir)
    b = raw["blt"]
    t = BltTargets(
        province=str(b["province"]),
        kabkota=str(b["kabkota"]),
        kode_program=str(b["kode_program"]),
        kk=int(b["kk"]),
        nominal=int(b["nominal"]),
        saluran=str(b["saluran"]),
        periods=tuple(str(p) for p in b["periods"]),
        total_nominal=int(b["total_nominal"]),
        drawn_from_year=str(b["drawn_from_year"]),
        drawn_from_programme=str(b["drawn_from_programme"]),
        drawn_from_desil=str(b.get("drawn_from_desil", "")),
    )
    if t.province != province.kode:
        raise ValueError(f"{path.name}: targets for province {t.province}, not {province.kode}")
    province.kabkota_by_code(t.kabkota)
    rule = province.programme(t.kode_program)
    if not rule.nominal_min <= t.nominal <= rule.nominal_max:
        raise ValueError(f"{path.name}: nominal {t.nominal} outside {rule.kode} rules")
    if t.saluran not in rule.channels:
        raise ValueError(f"{path.name}: saluran {t.saluran} not allowed for {rule.kode}")
    if len(set(t.periods)) != len(t.periods) or len(t.periods) > min(rule.max_per_year, rule.max_per_lifetime or 12):
        raise ValueError(f"{path.name}: periods repeat or exceed max_per_year or max_per_lifetime of {rule.kode}")
    if rule.desil_max is not None and not (t.drawn_from_desil and int(t.drawn_from_desil) <= rule.desil_max):
        raise ValueError(f"{path.name}: {rule.kode} is for desil up to {rule.desil_max}: set drawn_from_desil")
    if t.kk * t.nominal * len(t.periods) != t.total_nominal:
        raise ValueError(f"{path.name}: {t.kk} x {t.nominal} x {len(t.periods)} != {t.total_nominal}")
    return t
