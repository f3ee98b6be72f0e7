"""When, how much and through which channel each allocated household is paid in the year.

Each member of a programme receives it in ``distributions_per_year`` distinct months (never
twice in one month), with one amount per household and programme and the channel its bank
account allows. A group's members are paid together, in one month and one amount. The first
programme that can (JAMSOS in Kepri) is spread so that every month of the year has rows:
a kab/kota that sends an empty month looks, to the pipeline, like a missing submission.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bansos.domain.config import Province
from tools.synthetic import seeding
from tools.synthetic.allocation import Allocation
from tools.synthetic.payments import channels, draw_amounts, payout_days
from tools.synthetic.targets import YearTargets


@dataclass
class Distributions:
    """One entry per distribution (one programme paid to one household in one month)."""

    household: np.ndarray  # index into Allocation.households
    kode_program: np.ndarray
    month: np.ndarray  # 1-12
    day: np.ndarray
    nominal: np.ndarray
    saluran: np.ndarray
    id_kelompok: np.ndarray


def distinct_months(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    """An (n, k) array of months 1-12, distinct within each row."""
    return np.argsort(rng.random((n, 12)), axis=1)[:, :k] + 1


def cover_all_months(rng: np.random.Generator, months: np.ndarray) -> bool:
    """Rewrite a few rows so that together they use every month; False if there are too few."""
    n, k = months.shape
    needed = -(-12 // k)
    if n < needed:
        return False
    order = (rng.permutation(12) + 1).tolist()
    for i, row in enumerate(rng.choice(n, size=needed, replace=False)):
        block = order[i * k : (i + 1) * k]
        block += [m for m in order if m not in block][: k - len(block)]
        months[row] = block
    return True


def schedule(allocation: Allocation, targets: YearTargets, province: Province, seed: int) -> Distributions:
    """Every distribution of the year in the allocation's kab/kota."""
    rng = seeding.stream(seed, seeding.SCHEDULE, seeding.region_number(allocation.kabkota.kode))
    parts: list[Distributions] = []
    covered = False
    for pattern in targets.patterns:
        rule = province.programme(pattern.kode)
        members = allocation.members[pattern.kode]
        n, k = len(members), pattern.distributions_per_year
        if n == 0:
            continue
        group_ids = allocation.groups[pattern.kode]
        if rule.group:
            unique_ids, group_of = np.unique(group_ids, return_inverse=True)
            months = distinct_months(rng, len(unique_ids), k)[group_of]
            amounts = draw_amounts(rng, rule, len(unique_ids))[group_of]
        else:
            months = distinct_months(rng, n, k)
            if not covered:
                covered = cover_all_months(rng, months)
            amounts = draw_amounts(rng, rule, n)
        month = months.reshape(-1)
        parts.append(
            Distributions(
                household=np.repeat(members, k),
                kode_program=np.full(n * k, pattern.kode, dtype=object),
                month=month,
                day=payout_days(rng, targets.year, month),
                nominal=np.repeat(amounts, k),
                saluran=np.repeat(channels(rule, allocation.households.banked[members]), k),
                id_kelompok=np.repeat(group_ids, k),
            )
        )
    return Distributions(
        **{
            name: np.concatenate([getattr(p, name) for p in parts]) if parts else np.empty(0)
            for name in Distributions.__dataclass_fields__
        }
    )
