"""The household registry of one kab/kota: the people a year of extracts is drawn from.

A household (one No KK) has one recipient, one address and one desil, and keeps them in every
month and every programme; that is what lets the pipeline count distinct KK and link a
household across programmes. Households are built in batches as numpy columns so that the
same code serves a registry of 25,000 households and a load-test file of a million rows.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from tools.synthetic.identities import IdentityFactory
from tools.synthetic.names import draw_addresses, draw_names
from tools.synthetic.regions import KabKotaRegions

# Recipients are more often women (PKH-style programmes pay the mother).
FEMALE_SHARE = 0.58
# Share of people whose NIK was issued in another kecamatan of the same kab/kota (they moved).
MOVED_SHARE = 0.08
# desil of poor households in DTKS/DTSEN; "" = not known.
DESIL_VALUES = np.array(["1", "2", "3", "4", "5", ""], dtype=object)
DESIL_WEIGHTS = np.array([0.30, 0.28, 0.20, 0.12, 0.03, 0.07])
# Share of households with a bank account (non-cash payment possible): higher in the two kota.
BANKED_SHARE_KOTA = 0.80
BANKED_SHARE_KABUPATEN = 0.50


@dataclass
class Households:
    """Columns of a batch of households, one entry per No KK (object arrays of str, bool arrays)."""

    kode_kecamatan: np.ndarray
    kode_desa: np.ndarray
    no_kk: np.ndarray
    nik: np.ndarray
    nama: np.ndarray
    jenis_kelamin: np.ndarray
    tanggal_lahir: np.ndarray
    alamat: np.ndarray
    desil: np.ndarray
    banked: np.ndarray

    def __len__(self) -> int:
        return len(self.no_kk)

    def take(self, index: np.ndarray) -> Households:
        return Households(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    @staticmethod
    def concat(parts: list[Households]) -> Households:
        return Households(
            **{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Households)}
        )


@dataclass
class Locations:
    """Where households live: kecamatan index into ``KabKotaRegions.kecamatan`` and desa code."""

    kecamatan_idx: np.ndarray
    kode_desa: np.ndarray


def draw_locations(rng: np.random.Generator, regions: KabKotaRegions, n: int) -> Locations:
    """Kecamatan weighted by their number of desa, then a desa inside the kecamatan."""
    kec = rng.choice(len(regions.kecamatan), size=n, p=regions.kecamatan_weights)
    counts = regions.desa_counts[kec]
    desa_idx = regions.desa_offsets[kec] + np.floor(rng.random(n) * counts).astype(np.int64)
    return Locations(kecamatan_idx=kec, kode_desa=regions.desa_flat[desa_idx])


def is_kota(kode_kabkota: str) -> bool:
    """Kab/kota part 71-99 is a kota (city), 01-69 a kabupaten."""
    return int(kode_kabkota.split(".")[1]) >= 71


def build_households(
    rng: np.random.Generator,
    regions: KabKotaRegions,
    factory: IdentityFactory,
    locations: Locations,
) -> Households:
    """One household per location, with a recipient, identity numbers, address and desil."""
    n = len(locations.kecamatan_idx)
    is_female = rng.random(n) < FEMALE_SHARE
    moved = rng.random(n) < MOVED_SHARE
    nik_kec = np.where(moved, rng.integers(0, len(regions.kecamatan), n), locations.kecamatan_idx)
    ids = factory.issue(locations.kecamatan_idx, nik_kec, is_female)
    banked_share = BANKED_SHARE_KOTA if is_kota(regions.kode) else BANKED_SHARE_KABUPATEN
    return Households(
        kode_kecamatan=np.array(regions.kecamatan, dtype=object)[locations.kecamatan_idx],
        kode_desa=locations.kode_desa,
        no_kk=ids.no_kk,
        nik=ids.nik,
        nama=draw_names(rng, is_female),
        jenis_kelamin=np.where(is_female, "P", "L").astype(object),
        tanggal_lahir=ids.tanggal_lahir,
        alamat=draw_addresses(rng, n),
        desil=DESIL_VALUES[rng.choice(len(DESIL_VALUES), size=n, p=DESIL_WEIGHTS)],
        banked=rng.random(n) < banked_share,
    )
