"""One month of a province whose figures are a count of recipients per programme (Kaltim 2022-12, Kalbar 2024-10).

The Kepri year reproduces KK per programme over twelve months; the other provinces' published figures
are one month's, and one of them counts persons, not households: Samarinda's P3KE BLT is planned for
9,000 persons, several of whom may share one No KK. ``targets/<province>-<YYYY-MM>.toml`` gives, per
kab/kota and programme, the recipients in the programme's counting unit (the province config says
which), optionally their split by kecamatan, the amount and the channel; this module writes one file per
kab/kota in the landing layout whose distinct NIK (persons) or distinct No KK (households) per programme
and kecamatan equal those figures. Every person is 18-85 and has a NIK of their home kecamatan; members
of one household share its No KK, address and desil.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from bansos.domain.config import Province, load_province
from tools.synthetic import seeding
from tools.synthetic.households import Households, Locations, build_households, draw_locations
from tools.synthetic.identities import IdentityFactory
from tools.synthetic.kepri2022 import DEFAULT_SEED, OnWritten
from tools.synthetic.layout import extract_path, parse_period
from tools.synthetic.names import draw_names
from tools.synthetic.payments import channels, draw_amounts, payout_batch, pick_days
from tools.synthetic.regions import KabKotaRegions, load_regions
from tools.synthetic.rows import build_rows, dates_in_year, sort_rows
from tools.synthetic.targets import TARGETS_DIR
from tools.synthetic.writer import write_csv

KALTIM_2022_12 = "64-2022-12"
KALBAR_2024_10 = "61-2024-10"
# Step number of this dataset's random streams (tools.synthetic.seeding: never renumbered).
MONTH_STEP = 7


@dataclass(frozen=True)
class ProgrammeMonth:
    """Recipients of one programme in one kab/kota, in the programme's counting unit."""

    kabkota: str
    kode_program: str
    recipients: int
    persons: bool  # the catalogue's counting_unit is persons
    nominal: int | None = None  # None: amounts drawn inside the programme's rules
    saluran: str | None = None  # None: by bank account, as the rules allow
    desil: str | None = None  # None: the household's own
    members_max: int = 1
    kecamatan: dict[str, int] = field(default_factory=dict)  # empty: spread by desa count


@dataclass(frozen=True)
class MonthTargets:
    province: str
    periode: str
    programmes: tuple[ProgrammeMonth, ...]

    @property
    def kabkota(self) -> list[str]:
        return sorted({p.kabkota for p in self.programmes})


def load_month_targets(name: str, province: Province, targets_dir: Path = TARGETS_DIR) -> MonthTargets:
    """``load_month_targets("64-2022-12", load_province("64"))``; checked against the catalogue and the
    reference codes, so a typo in a figure fails here, not as a quietly wrong dataset."""
    path = Path(name) if Path(name).suffix == ".toml" else targets_dir / f"{name}.toml"
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    head = raw["month"]
    if str(head["province"]) != province.kode:
        raise ValueError(f"{path.name}: targets for province {head['province']}, not {province.kode}")
    periode = str(head["periode"])
    parse_period(periode)
    programmes = []
    for p in raw["programme"]:
        kabkota = province.kabkota_by_code(str(p["kabkota"])).kode
        rule = province.programme(str(p["kode_program"]))
        target = ProgrammeMonth(
            kabkota=kabkota,
            kode_program=rule.kode,
            recipients=int(p["recipients"]),
            persons=rule.counts_persons,
            nominal=int(p["nominal"]) if "nominal" in p else None,
            saluran=str(p["saluran"]) if "saluran" in p else None,
            desil=str(p["desil"]) if "desil" in p else None,
            members_max=int(p.get("members_max", 1)),
            kecamatan={str(k): int(v) for k, v in p.get("kecamatan", {}).items()},
        )
        where = f"{path.name}: {rule.kode} in {kabkota}"
        if target.recipients < 1:
            raise ValueError(f"{where}: recipients must be positive")
        if target.nominal is not None and not rule.nominal_min <= target.nominal <= rule.nominal_max:
            raise ValueError(f"{where}: nominal {target.nominal} outside the programme's rules")
        if target.saluran is not None and target.saluran not in rule.channels:
            raise ValueError(f"{where}: saluran {target.saluran} not allowed")
        if "total_nominal" in p and (target.nominal or 0) * target.recipients != int(p["total_nominal"]):
            raise ValueError(f"{where}: {target.recipients} x {target.nominal} != {p['total_nominal']}")
        if rule.desil_max is not None and not (target.desil and int(target.desil) <= rule.desil_max):
            raise ValueError(f"{where}: the programme is for desil up to {rule.desil_max}: set desil")
        if target.members_max > 1 and not target.persons:
            raise ValueError(f"{where}: members_max > 1 needs a programme counted in persons")
        if target.kecamatan:
            known = set(load_regions(kabkota).kecamatan)
            outside = sorted(set(target.kecamatan) - known)
            if outside:
                raise ValueError(f"{where}: kecamatan outside the kab/kota: {', '.join(outside)}")
            if sum(target.kecamatan.values()) != target.recipients:
                raise ValueError(f"{where}: the kecamatan split sums to {sum(target.kecamatan.values())}")
        programmes.append(target)
    return MonthTargets(province=province.kode, periode=periode, programmes=tuple(programmes))


def _household_sizes(rng: np.random.Generator, people: int, largest: int) -> np.ndarray:
    """Sizes 1..largest (members receiving the programme per No KK) that add up to ``people``."""
    sizes = rng.integers(1, largest + 1, size=people)
    ends = np.cumsum(sizes)
    count = int(np.searchsorted(ends, people)) + 1
    sizes = sizes[:count].copy()
    sizes[-1] -= int(ends[count - 1]) - people
    return sizes


def _locations(
    rng: np.random.Generator, regions: KabKotaRegions, target: ProgrammeMonth
) -> tuple[Locations, np.ndarray]:
    """Where each household lives, and how many of its members receive the programme."""
    if not target.kecamatan:
        sizes = (_household_sizes(rng, target.recipients, target.members_max) if target.persons
                 else np.ones(target.recipients, dtype=np.int64))
        return draw_locations(rng, regions, len(sizes)), sizes
    kec_idx, all_sizes = [], []
    for kode, people in sorted(target.kecamatan.items()):
        sizes = (_household_sizes(rng, people, target.members_max) if target.persons
                 else np.ones(people, dtype=np.int64))
        kec_idx.append(np.full(len(sizes), regions.kecamatan.index(kode), dtype=np.int64))
        all_sizes.append(sizes)
    kec = np.concatenate(kec_idx)
    counts = regions.desa_counts[kec]
    desa_idx = regions.desa_offsets[kec] + np.floor(rng.random(len(kec)) * counts).astype(np.int64)
    return Locations(kecamatan_idx=kec, kode_desa=regions.desa_flat[desa_idx]), np.concatenate(all_sizes)


def _recipients(rng, regions: KabKotaRegions, factory: IdentityFactory, target: ProgrammeMonth) -> Households:
    """One entry per recipient: heads of household first, then the other members, with NIK of their own."""
    locations, sizes = _locations(rng, regions, target)
    heads = build_households(rng, regions, factory, locations)
    if target.desil is not None:
        heads.desil = np.full(len(heads), target.desil, dtype=object)
    owner = np.repeat(np.arange(len(heads)), sizes)
    people = heads.take(owner)
    member = np.ones(len(owner), dtype=bool)
    member[np.concatenate(([0], np.cumsum(sizes)[:-1]))] = False  # the first of each household is its head
    if member.any():
        kec = locations.kecamatan_idx[owner[member]]
        female = rng.random(int(member.sum())) < 0.5
        ids = factory.issue(kec, kec, female)
        people.nik[member] = ids.nik
        people.tanggal_lahir[member] = ids.tanggal_lahir
        people.nama[member] = draw_names(rng, female)
        people.jenis_kelamin[member] = np.where(female, "P", "L").astype(object)
    return people


def kabkota_month_rows(targets: MonthTargets, province: Province, kode_kabkota: str, seed: int) -> pd.DataFrame:
    """The rows of one kab/kota's file for the month: every programme of the targets there."""
    year, month = parse_period(targets.periode)
    number = seeding.region_number(kode_kabkota)
    rng = seeding.stream(seed, MONTH_STEP, number)
    regions = load_regions(kode_kabkota)
    # one factory per file: no NIK or No KK twice, across programmes too; everyone 18-85 through the year
    factory = IdentityFactory(regions.kecamatan_digits, date(year, 1, 1), date(year, 12, 31),
                              seeding.stream(seed, MONTH_STEP, number, seeding.IDENTITIES))
    parts = []
    for target in (t for t in targets.programmes if t.kabkota == kode_kabkota):
        rule = province.programme(target.kode_program)
        people = _recipients(rng, regions, factory, target)
        n = len(people)
        nominal = (np.full(n, target.nominal, dtype=np.int64) if target.nominal is not None
                   else draw_amounts(rng, rule, n))
        saluran = (np.full(n, target.saluran, dtype=object) if target.saluran is not None
                   else channels(rule, people.banked))
        day = pick_days(rng, payout_batch(rng, year, month), n)
        parts.append(build_rows(
            people, np.arange(n),
            periode=targets.periode,
            kode_kabkota=kode_kabkota,
            kode_program=target.kode_program,
            nominal=nominal,
            tanggal_salur=dates_in_year(year, np.full(n, month), day),
            saluran=saluran,
        ))
    return sort_rows(pd.concat(parts, ignore_index=True))


def write_month(
    landing_root: Path, targets_name: str, *, seed: int = DEFAULT_SEED, on_written: OnWritten | None = None
) -> list[Path]:
    """Write one file per kab/kota of the targets' month under ``landing_root``; the targets' file name
    starts with the province code (``64-2022-12``)."""
    province = load_province(Path(targets_name).name.split("-", 1)[0])
    targets = load_month_targets(targets_name, province)
    written = []
    for kode in targets.kabkota:
        rows = kabkota_month_rows(targets, province, kode, seed)
        path = extract_path(Path(landing_root), province.kode, province.kabkota_by_code(kode), targets.periode)
        count = write_csv(path, [rows])
        written.append(path)
        if on_written:
            on_written(path, count)
    return written
