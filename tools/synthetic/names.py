"""Plausible Indonesian names and street addresses for synthetic recipients.

Names are written in capitals, as printed on the Kartu Keluarga that the extract copies them
from. The lists mix the Malay, Javanese, Minang, Batak and Bugis names common in Kepulauan
Riau; some people carry one name only (NURHAYATI), most carry two (SITI AMINAH).
Drawing is vectorised: a chunk of a million rows takes indices into these tables.
"""

from __future__ import annotations

import numpy as np

GIVEN_L = (
    "MUHAMMAD",
    "AHMAD",
    "BUDI",
    "HENDRA",
    "RUDI",
    "AGUS",
    "JOKO",
    "SLAMET",
    "IRWAN",
    "DEDI",
    "ANDI",
    "SYAHRUL",
    "ZULKIFLI",
    "RAHMAT",
    "FIRMAN",
    "SUPRIADI",
    "YUSUF",
    "ARIFIN",
    "HERMAN",
    "BAMBANG",
    "DARMAWAN",
    "IKHSAN",
    "FAISAL",
    "RIDWAN",
    "HASAN",
    "ABDUL",
    "WAHYU",
    "SUTRISNO",
    "RAJA",
    "TENGKU",
)
FAMILY_L = (
    "RIZKI",
    "SAPUTRA",
    "SANTOSO",
    "HIDAYAT",
    "PRATAMA",
    "KURNIAWAN",
    "SETIAWAN",
    "FAUZI",
    "SIREGAR",
    "HARAHAP",
    "NASUTION",
    "SIMANJUNTAK",
    "LUBIS",
    "RAHMAN",
    "EFFENDI",
    "HAMZAH",
    "SIDIK",
    "GUNAWAN",
    "WIJAYA",
    "SYAPUTRA",
    "HAKIM",
    "MAULANA",
    "ISMAIL",
    "SALEH",
    "ALI",
)
GIVEN_P = (
    "SITI",
    "NUR",
    "SRI",
    "DEWI",
    "RINA",
    "FITRI",
    "YULIANA",
    "NURHAYATI",
    "RAHMAWATI",
    "SURYANI",
    "AMINAH",
    "HASANAH",
    "WAHYUNI",
    "KARTINI",
    "JULIANA",
    "MARLINA",
    "ROSMAWATI",
    "ERNA",
    "LINDA",
    "YANTI",
    "ZAINAB",
    "HALIMAH",
    "MASTURA",
    "NORMA",
    "SALMAH",
    "RATNA",
    "INDAH",
    "WAN",
    "MERI",
    "SUMARNI",
)
FAMILY_P = (
    "AMINAH",
    "RAHAYU",
    "LESTARI",
    "WULANDARI",
    "HANDAYANI",
    "PUSPITA",
    "SARI",
    "ANGGRAINI",
    "SIREGAR",
    "HARAHAP",
    "PURBA",
    "HASANAH",
    "MARLINA",
    "FATIMAH",
    "KHADIJAH",
    "AISYAH",
    "SUSANTI",
    "NINGSIH",
    "WATI",
    "YULIANTI",
    "HAYATI",
    "ROHANI",
    "AZIZAH",
    "MAHARANI",
)
# Share of people known by one name only.
SINGLE_NAME_SHARE = 0.25

STREETS = (
    "Merdeka",
    "Sudirman",
    "Diponegoro",
    "Ahmad Yani",
    "Gatot Subroto",
    "Hang Tuah",
    "Hang Jebat",
    "Raja Haji Fisabilillah",
    "Engku Putri",
    "Pramuka",
    "Sultan Mahmud",
    "Teuku Umar",
    "Kartini",
    "Basuki Rahmat",
    "WR Supratman",
    "Bunga Mawar",
    "Bunga Raya",
    "Pelabuhan",
    "Nusantara",
    "Kampung Baru",
    "Sei Jang",
    "Pantai Impian",
    "Teluk Keriting",
    "Batu Hitam",
    "Pemuda",
    "Kenanga",
    "Cempaka",
    "Dahlia",
    "Perikanan",
    "Seroja",
)
STREET_KINDS = ("Jl.", "Jl.", "Jl.", "Gg.", "Lrg.")


def _table(values: tuple[str, ...]) -> np.ndarray:
    return np.array(values, dtype=object)


def draw_names(rng: np.random.Generator, is_female: np.ndarray) -> np.ndarray:
    """One name per person, chosen from the lists for that person's sex."""
    n = len(is_female)
    given = np.where(
        is_female,
        _table(GIVEN_P)[rng.integers(0, len(GIVEN_P), n)],
        _table(GIVEN_L)[rng.integers(0, len(GIVEN_L), n)],
    )
    family = np.where(
        is_female,
        _table(FAMILY_P)[rng.integers(0, len(FAMILY_P), n)],
        _table(FAMILY_L)[rng.integers(0, len(FAMILY_L), n)],
    )
    # Prefixes such as SITI, NUR, RAJA or WAN never stand alone.
    standalone = ~np.isin(given, ("SITI", "NUR", "SRI", "RAJA", "TENGKU", "WAN", "ABDUL", "MUHAMMAD"))
    single = (rng.random(n) < SINGLE_NAME_SHARE) & standalone
    full = given + " " + family
    # Avoid "SITI AMINAH AMINAH"-like doubles where given == family.
    full = np.where(given == family, given, full)
    return np.where(single, given, full)


def _padded(width: int, upto: int) -> np.ndarray:
    return np.array([f"{i:0{width}d}" for i in range(upto + 1)], dtype=object)


_RT = _padded(3, 30)
_NUMBERS = np.array([str(i) for i in range(200)], dtype=object)


def draw_addresses(rng: np.random.Generator, n: int) -> np.ndarray:
    """Addresses like ``Jl. Merdeka No. 12 RT 003/RW 002`` (no commas, so no CSV quoting)."""
    kind = _table(STREET_KINDS)[rng.integers(0, len(STREET_KINDS), n)]
    street = _table(STREETS)[rng.integers(0, len(STREETS), n)]
    number = _NUMBERS[rng.integers(1, 200, n)]
    rt = _RT[rng.integers(1, 21, n)]
    rw = _RT[rng.integers(1, 11, n)]
    return kind + " " + street + " No. " + number + " RT " + rt + "/RW " + rw
