"""Kecamatan and desa/kelurahan codes of a kab/kota, from ``include/reference/wilayah.csv``.

Synthetic households must live at real addresses: the pipeline checks that kode_kecamatan and
kode_desa exist and lie inside the submitting kab/kota, and that a NIK's first six digits are
a real kecamatan. Codes are kept sorted so that draws by index are reproducible.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from bansos.domain.resources import REFERENCE_DIR

WILAYAH_CSV = REFERENCE_DIR / "wilayah.csv"


@dataclass(frozen=True)
class KabKotaRegions:
    """The kecamatan of one kab/kota and the desa/kelurahan of each kecamatan, sorted by code."""

    kode: str
    kecamatan: tuple[str, ...]
    desa: tuple[tuple[str, ...], ...]  # desa[i] lies inside kecamatan[i]

    @property
    def kecamatan_digits(self) -> tuple[str, ...]:
        """``21.71.01`` -> ``217101``: the six digits that open a NIK or No KK."""
        return tuple(k.replace(".", "") for k in self.kecamatan)

    @property
    def desa_counts(self) -> np.ndarray:
        return np.array([len(d) for d in self.desa], dtype=np.int64)

    @property
    def kecamatan_weights(self) -> np.ndarray:
        """Chance that a household lives in each kecamatan: proportional to its desa count."""
        counts = self.desa_counts.astype(float)
        return counts / counts.sum()

    @property
    def desa_flat(self) -> np.ndarray:
        """All desa codes in kecamatan order, as an object array (index with ``desa_offsets``)."""
        return np.array([d for group in self.desa for d in group], dtype=object)

    @property
    def desa_offsets(self) -> np.ndarray:
        counts = self.desa_counts
        return np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)


@cache
def _read_wilayah(wilayah_csv: Path) -> dict[str, KabKotaRegions]:
    """Every kab/kota of the file with its kecamatan and desa (read once per process)."""
    kecamatan: dict[str, list[str]] = {}
    desa: dict[str, list[str]] = {}
    with wilayah_csv.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        kode_col, tingkat_col = header.index("kode"), header.index("tingkat")
        for row in reader:
            kode, tingkat = row[kode_col], row[tingkat_col]
            if tingkat == "kecamatan":
                kecamatan.setdefault(kode[: kode.rindex(".")], []).append(kode)
            elif tingkat == "desa_kelurahan":
                desa.setdefault(kode[: kode.rindex(".")], []).append(kode)
    result = {}
    for kabkota in sorted(kecamatan):
        codes = sorted(kecamatan[kabkota])
        result[kabkota] = KabKotaRegions(
            kode=kabkota,
            kecamatan=tuple(codes),
            desa=tuple(tuple(sorted(desa.get(k, ()))) for k in codes),
        )
    return result


def load_regions(kode_kabkota: str, wilayah_csv: Path = WILAYAH_CSV) -> KabKotaRegions:
    """Kecamatan and desa of a kab/kota; raises if it has no kecamatan or a kecamatan no desa."""
    regions = _read_wilayah(wilayah_csv).get(kode_kabkota)
    if regions is None:
        raise ValueError(f"{wilayah_csv.name}: no kecamatan under kab/kota {kode_kabkota}")
    empty = [k for k, d in zip(regions.kecamatan, regions.desa, strict=True) if not d]
    if empty:
        raise ValueError(f"{wilayah_csv.name}: kecamatan without desa/kelurahan: {', '.join(empty)}")
    return regions
