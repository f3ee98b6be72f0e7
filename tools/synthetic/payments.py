"""Amounts, channels and payout dates, following the programme rules of the province config.

The validator rejects amounts outside a programme's nominal_min/nominal_max and channels the
programme does not allow, so the generator draws only inside those rules. Real offices pay
round amounts (Rp 50,000 steps) and pay a whole batch on one to three days a month; most
households of a kab/kota get that kab/kota's usual amount.
"""

from __future__ import annotations

import calendar

import numpy as np

from bansos.domain.config import Programme

STEP = 50_000
# Share of households that get the kab/kota's usual amount; the rest get another allowed step.
USUAL_AMOUNT_SHARE = 0.8
MAX_PAYOUT_DAYS = 3


def allowed_amounts(rule: Programme) -> np.ndarray:
    """Every amount the generator may pay: Rp 50,000 steps inside the rule if there are any,
    else Rp 1,000 steps, else the minimum itself."""
    for step in (STEP, 1_000):
        low = -(-rule.nominal_min // step) * step
        high = rule.nominal_max // step * step
        if low <= high:
            return np.arange(low, high + 1, step, dtype=np.int64)
    return np.array([rule.nominal_min], dtype=np.int64)


def usual_amount(rng: np.random.Generator, rule: Programme) -> int:
    """The amount a kab/kota usually pays for the programme."""
    amounts = allowed_amounts(rule)
    return int(amounts[rng.integers(0, len(amounts))])


def draw_amounts(rng: np.random.Generator, rule: Programme, n: int, usual: int | None = None) -> np.ndarray:
    """``n`` amounts: mostly the usual amount (drawn here if not given), sometimes another step."""
    amounts = allowed_amounts(rule)
    if usual is None:
        usual = usual_amount(rng, rule)
    other = amounts[rng.integers(0, len(amounts), n)]
    return np.where(rng.random(n) < USUAL_AMOUNT_SHARE, usual, other)


def channels(rule: Programme, banked: np.ndarray) -> np.ndarray:
    """NONTUNAI for households with a bank account where allowed, TUNAI otherwise where allowed."""
    allowed = set(rule.channels)
    if allowed >= {"TUNAI", "NONTUNAI"}:
        return np.where(banked, "NONTUNAI", "TUNAI").astype(object)
    only = sorted(allowed)[0]
    return np.full(len(banked), only, dtype=object)


def payout_batch(rng: np.random.Generator, year: int, month: int) -> np.ndarray:
    """The one to three days of the month on which a programme pays out."""
    last = calendar.monthrange(year, month)[1]
    count = int(rng.integers(1, MAX_PAYOUT_DAYS + 1))
    return np.sort(rng.choice(np.arange(1, last + 1), size=count, replace=False))


def pick_days(rng: np.random.Generator, batch: np.ndarray, n: int) -> np.ndarray:
    """A payout day from ``batch`` for each of ``n`` rows."""
    return batch[rng.integers(0, len(batch), n)]


def payout_days(rng: np.random.Generator, year: int, month: np.ndarray) -> np.ndarray:
    """A day inside the month for each row (months 1-12), from each month's payout batch."""
    days = np.empty(len(month), dtype=np.int64)
    for m in range(1, 13):
        rows = np.flatnonzero(month == m)
        if len(rows):
            days[rows] = pick_days(rng, payout_batch(rng, year, m), len(rows))
    return days
