"""Independent, reproducible random streams.

Every dataset is a pure function of its seed. Each kab/kota and each step (households,
allocation, schedule) gets its own numpy stream derived from (seed, kab/kota number, step),
so adding a kab/kota or a step never shifts the numbers drawn for the others, and nothing
depends on dict/set ordering or Python's hash randomisation.
"""

from __future__ import annotations

import numpy as np

# Step numbers: part of the stream key, so they must never be renumbered.
HOUSEHOLDS = 1
ALLOCATION = 2
SCHEDULE = 3
IDENTITIES = 4
BLT = 5
BULK = 6


def region_number(kode: str) -> int:
    """``"21.71"`` -> ``2171``: a stable integer for a dotted Kemendagri code."""
    return int(kode.replace(".", ""))


def stream(seed: int, *parts: int) -> np.random.Generator:
    """A PCG64 generator keyed by the seed and any number of non-negative integers."""
    return np.random.default_rng([seed, *parts])
