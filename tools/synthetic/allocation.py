"""Who receives which programme in a year, in one kab/kota.

The report counts distinct No KK per programme, so each programme gets a set of exactly that
many households. Some of those households are taken from programmes allocated before it
(``overlap_from``): real households often get two kinds of aid, and that is why the distinct
household count over all programmes is below the report's headline sum. Group programmes
(KUBE) get new households in groups of 4-10 that live in one desa.

Membership is decided on household numbers first; the registry is then built with exactly as
many households as were used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from bansos.domain.config import KabKota, Province
from tools.synthetic import seeding
from tools.synthetic.households import Households, build_households, draw_locations
from tools.synthetic.identities import IdentityFactory
from tools.synthetic.regions import load_regions
from tools.synthetic.targets import Pattern, YearTargets


@dataclass
class Allocation:
    """A kab/kota's registry for the year and the members of each programme."""

    kabkota: KabKota
    households: Households
    members: dict[str, np.ndarray]  # programme -> sorted household numbers
    groups: dict[str, np.ndarray]  # programme -> id_kelompok per member ("" if not a group programme)


def split_groups(rng: np.random.Generator, total: int, smallest: int, largest: int) -> list[int]:
    """Group sizes in [smallest, largest] that add up to ``total``."""
    if total == 0:
        return []
    fewest = -(-total // largest)
    most = total // smallest
    if fewest > most:
        raise ValueError(f"{total} members cannot form groups of {smallest}-{largest}")
    count = int(rng.integers(fewest, most + 1))
    sizes = [smallest] * count
    for _ in range(total - count * smallest):
        open_groups = [i for i, s in enumerate(sizes) if s < largest]
        sizes[open_groups[int(rng.integers(0, len(open_groups)))]] += 1
    return sizes


def _group_ids(pattern: Pattern, kabkota: KabKota, year: int, sizes: list[int]) -> np.ndarray:
    width = max(2, len(str(len(sizes))))
    ids = [f"{pattern.kode}-{kabkota.kode}-{year}-{i + 1:0{width}d}" for i in range(len(sizes))]
    return np.repeat(np.array(ids, dtype=object), sizes)


def allocate(
    targets: YearTargets,
    province: Province,
    kabkota: KabKota,
    seed: int,
    valid_from: date,
    valid_to: date,
) -> Allocation:
    """Members of every programme of ``targets`` in ``kabkota``, and their households.

    ``valid_from``/``valid_to``: every recipient is 18-85 on every day of this window.
    """
    number = seeding.region_number(kabkota.kode)
    rng = seeding.stream(seed, seeding.ALLOCATION, number)
    members: dict[str, np.ndarray] = {}
    groups: dict[str, np.ndarray] = {}
    group_sizes: list[tuple[int, list[int]]] = []  # (first household number, sizes)
    next_number = 0
    for pattern in targets.patterns:
        wanted = targets.kk_for(pattern.kode, kabkota.kode)
        if province.programme(pattern.kode).group:
            sizes = split_groups(rng, wanted, pattern.group_size_min, pattern.group_size_max)
            group_sizes.append((next_number, sizes))
            members[pattern.kode] = np.arange(next_number, next_number + wanted)
            groups[pattern.kode] = _group_ids(pattern, kabkota, targets.year, sizes)
            next_number += wanted
            continue
        pool = np.unique(np.concatenate([members[s] for s in pattern.overlap_from] or [np.empty(0, int)]))
        shared = min(round(wanted * pattern.overlap_share), len(pool), wanted)
        taken = rng.choice(pool, size=shared, replace=False) if shared else np.empty(0, dtype=np.int64)
        fresh = np.arange(next_number, next_number + wanted - shared)
        next_number += len(fresh)
        members[pattern.kode] = np.sort(np.concatenate([taken, fresh]).astype(np.int64))
        groups[pattern.kode] = np.full(wanted, "", dtype=object)

    regions = load_regions(kabkota.kode)
    home_rng = seeding.stream(seed, seeding.HOUSEHOLDS, number)
    locations = draw_locations(home_rng, regions, next_number)
    for first, sizes in group_sizes:
        # A group's members live in one desa: the desa of its first member.
        start = first
        for size in sizes:
            locations.kecamatan_idx[start : start + size] = locations.kecamatan_idx[start]
            locations.kode_desa[start : start + size] = locations.kode_desa[start]
            start += size
    factory = IdentityFactory(
        regions.kecamatan_digits,
        valid_from,
        valid_to,
        seeding.stream(seed, seeding.IDENTITIES, number),
    )
    households = build_households(home_rng, regions, factory, locations)
    return Allocation(kabkota=kabkota, households=households, members=members, groups=groups)
