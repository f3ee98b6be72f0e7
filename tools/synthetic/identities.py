"""NIK and No KK numbers that pass every structural check and never collide.

NIK = kecamatan (6) + birth date DDMMYY, DD + 40 for women (6) + serial (4).
No KK = issuing kecamatan (6) + date the card was recorded DDMMYY (6) + serial (4).
The serial numbers the people sharing the first twelve digits, as Dukcapil does: this module
keeps one counter per (kecamatan, sex, birth date) and per (kecamatan, record date), so two
people can never get the same number, in one chunk or across chunks, without holding the
issued numbers in memory. The counters are numpy arrays sized by the number of possible
prefixes (a few MB), whatever the number of rows.

Two serial ranges keep datasets apart: the yearly registry uses 0001-4999 and the bulk
load-test files 5001-9999, so loading both into one warehouse never puts two different
people behind one NIK. A serial is never 0000.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import numpy as np

REGISTRY_SERIALS = (1, 4999)
BULK_SERIALS = (5001, 9999)
# The earliest No KK record date the generator uses (the electronic KK era).
KK_RECORDED_FROM = date(2005, 1, 1)
MIN_AGE = 18
MAX_AGE = 85
# A head of household is at least 17 when the card is recorded.
KK_MIN_AGE_DAYS = 17 * 365 + 4


def shift_years(day: date, years: int) -> date:
    """The same calendar day ``years`` later (or earlier); 29 Feb becomes 28 Feb."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def birth_window(valid_from: date, valid_to: date) -> tuple[date, date]:
    """Earliest and latest birth date of someone aged 18-85 on every day of the window."""
    latest = shift_years(valid_from, -MIN_AGE)
    earliest = shift_years(valid_to, -(MAX_AGE + 1)) + timedelta(days=1)
    return earliest, latest


_TWO_DIGITS = np.array([f"{i:02d}" for i in range(100)], dtype=object)
_SERIALS = np.array([f"{i:04d}" for i in range(10000)], dtype=object)


@cache
def _day_tables(first: date, days: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each day offset: ISO date, DDMMYY, and DDMMYY with 40 added to the day (women)."""
    day = np.datetime64(first, "D") + np.arange(days)
    month_start = day.astype("datetime64[M]")
    dd = (day - month_start).astype(np.int64) + 1
    mm = month_start.astype(np.int64) % 12 + 1
    yyyy = day.astype("datetime64[Y]").astype(np.int64) + 1970
    yy = yyyy % 100
    iso = yyyy.astype(str).astype(object) + "-" + _TWO_DIGITS[mm] + "-" + _TWO_DIGITS[dd]
    tail = _TWO_DIGITS[mm] + _TWO_DIGITS[yy]
    return iso, _TWO_DIGITS[dd] + tail, _TWO_DIGITS[dd + 40] + tail


@dataclass
class Identities:
    """Identity columns for a batch of people, as object arrays of str."""

    nik: np.ndarray
    no_kk: np.ndarray
    tanggal_lahir: np.ndarray


class IdentityFactory:
    """Issues NIK and No KK for the kecamatan of one kab/kota, unique for the factory's life."""

    def __init__(
        self,
        kecamatan_digits: tuple[str, ...],
        valid_from: date,
        valid_to: date,
        rng: np.random.Generator,
        serials: tuple[int, int] = REGISTRY_SERIALS,
    ) -> None:
        if not 1 <= serials[0] <= serials[1] <= 9999:
            raise ValueError(f"serial range {serials} is outside 0001-9999")
        self._kecamatan = np.array(kecamatan_digits, dtype=object)
        self._rng = rng
        self._serial_min, self._serial_max = serials
        self.birth_first, self.birth_last = birth_window(valid_from, valid_to)
        self._birth_days = (self.birth_last - self.birth_first).days + 1
        if self._birth_days > 36500:
            raise ValueError("birth window spans a century: DDMMYY would be ambiguous")
        self._birth_iso, self._birth_dmy, self._birth_dmy_p = _day_tables(self.birth_first, self._birth_days)
        # Cards are recorded up to the day before the window opens.
        self.kk_first = KK_RECORDED_FROM
        self.kk_last = max(valid_from - timedelta(days=1), KK_RECORDED_FROM)
        self._kk_days = (self.kk_last - self.kk_first).days + 1
        _, self._kk_dmy, _ = _day_tables(self.kk_first, self._kk_days)
        n_kec = len(kecamatan_digits)
        # Most prefixes start at serial 0001; some start a little higher (earlier registrations).
        self._nik_next = self._initial_counters(n_kec * 2 * self._birth_days)
        self._kk_next = self._initial_counters(n_kec * self._kk_days)

    def _initial_counters(self, size: int) -> np.ndarray:
        start = np.full(size, self._serial_min, dtype=np.int32)
        bumped = self._rng.random(size) < 0.3
        start[bumped] += self._rng.integers(1, 5, int(bumped.sum()), dtype=np.int32)
        return start

    def _take(self, counters: np.ndarray, keys: np.ndarray) -> np.ndarray:
        """Next serial for each key; several equal keys in one call get consecutive serials."""
        if len(keys) == 0:
            return np.empty(0, dtype=np.int64)
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
        sizes = np.diff(np.r_[starts, len(sorted_keys)])
        rank = np.arange(len(sorted_keys)) - np.repeat(starts, sizes)
        serial_sorted = counters[sorted_keys].astype(np.int64) + rank
        unique_keys = sorted_keys[starts]
        counters[unique_keys] += sizes.astype(np.int32)
        if serial_sorted.max() > self._serial_max:
            raise RuntimeError("serial numbers exhausted for a kecamatan/date prefix; use fewer rows")
        serial = np.empty_like(serial_sorted)
        serial[order] = serial_sorted
        return serial

    def issue(
        self,
        kecamatan_idx: np.ndarray,
        nik_kecamatan_idx: np.ndarray,
        is_female: np.ndarray,
    ) -> Identities:
        """Identities for people living in ``kecamatan_idx``, first registered in ``nik_kecamatan_idx``.

        Ages are skewed towards middle age (heads of poor households); the No KK is recorded
        in the person's home kecamatan after they turned 17.
        """
        n = len(kecamatan_idx)
        rng = self._rng
        birth = np.floor(rng.beta(2.2, 2.0, n) * self._birth_days).astype(np.int64)
        birth = np.minimum(birth, self._birth_days - 1)
        sex = is_female.astype(np.int64)
        nik_keys = (nik_kecamatan_idx.astype(np.int64) * 2 + sex) * self._birth_days + birth
        nik_serial = self._take(self._nik_next, nik_keys)
        dmy = np.where(is_female, self._birth_dmy_p[birth], self._birth_dmy[birth])
        nik = self._kecamatan[nik_kecamatan_idx] + dmy + _SERIALS[nik_serial]

        birth_abs = birth + (self.birth_first - self.kk_first).days  # birth as a kk-day offset
        low = np.clip(birth_abs + KK_MIN_AGE_DAYS, 0, self._kk_days - 1)
        recorded = low + np.floor(rng.random(n) * (self._kk_days - low)).astype(np.int64)
        kk_keys = kecamatan_idx.astype(np.int64) * self._kk_days + recorded
        kk_serial = self._take(self._kk_next, kk_keys)
        no_kk = self._kecamatan[kecamatan_idx] + self._kk_dmy[recorded] + _SERIALS[kk_serial]
        return Identities(nik=nik, no_kk=no_kk, tanggal_lahir=self._birth_iso[birth])
