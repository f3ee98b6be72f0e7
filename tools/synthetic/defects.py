"""Defective extracts, one per class of what goes wrong in real kab/kota files (DOMAIN.md).

Each defect takes a clean extract (the template's CSV bytes) and returns what an office might
really send instead: a NIK Excel turned into 3.17E+15, a semicolon file in Windows-1252, a
misspelt header, a duplicated household, an amount outside the programme's rules... Row defects
touch a few rows and leave the rest valid, so exactly the rule under test fires. Accepted
formats (semicolons, cp1252, BOM, XLSX) are here too: they must load, not be rejected.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from bansos.domain.config import load_province


@dataclass(frozen=True)
class Defect:
    name: str
    description: str
    apply: Callable[[bytes, str], tuple[bytes, str]]  # (clean CSV bytes, kab/kota) -> (bytes, file suffix)


def _frame(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)


def _csv(df: pd.DataFrame, **kwargs) -> bytes:
    encoding = kwargs.pop("encoding", "utf-8")
    return df.to_csv(index=False, lineterminator=kwargs.pop("lineterminator", "\n"), **kwargs).encode(
        encoding
    )


def _rows(change: Callable[[pd.DataFrame, str], pd.DataFrame]) -> Callable[[bytes, str], tuple[bytes, str]]:
    def apply(data: bytes, kabkota: str) -> tuple[bytes, str]:
        return _csv(change(_frame(data), kabkota)), ".csv"

    return apply


def _set(column: str, value: Callable[[str], str], rows: tuple[int, ...] = (0, 1, 2)):
    def change(df: pd.DataFrame, kabkota: str) -> pd.DataFrame:
        for i in rows:
            df.loc[i, column] = value(df.loc[i, column])
        return df

    return change


def _other_kabkota(kabkota: str) -> str:
    return next(k.kode for k in load_province(kabkota.split(".")[0]).kabkota if k.kode != kabkota)


def _move_to_other_kabkota(df: pd.DataFrame, kabkota: str) -> pd.DataFrame:
    """Give two rows a real kecamatan and desa of another kab/kota (address outside the sender)."""
    from tools.synthetic.regions import load_regions

    other = load_regions(_other_kabkota(kabkota))
    df.loc[[0, 1], "kode_kecamatan"] = other.kecamatan[0]
    df.loc[[0, 1], "kode_desa"] = other.desa[0][0]
    return df


def _desa_of_other_kecamatan(df: pd.DataFrame, kabkota: str) -> pd.DataFrame:
    from tools.synthetic.regions import load_regions

    regions = load_regions(kabkota)
    first = df.loc[0, "kode_kecamatan"]
    other = next(i for i, k in enumerate(regions.kecamatan) if k != first)
    df.loc[0, "kode_desa"] = regions.desa[other][0]
    return df


def _nik_from_other_kabkota(df: pd.DataFrame, kabkota: str) -> pd.DataFrame:
    from tools.synthetic.regions import load_regions

    prefix = load_regions(_other_kabkota(kabkota)).kecamatan_digits[0]
    for i in (0, 1):
        df.loc[i, "nik"] = prefix + df.loc[i, "nik"][6:]
    return df


def _duplicate_household_programme(df: pd.DataFrame, kabkota: str) -> pd.DataFrame:
    return pd.concat([df, df.iloc[[0]]], ignore_index=True)


def _same_nik_two_households(df: pd.DataFrame, kabkota: str) -> pd.DataFrame:
    same = df[df["kode_program"] == df.loc[0, "kode_program"]].index
    second = same[1]
    for column in ("nik", "jenis_kelamin", "tanggal_lahir", "nama"):
        df.loc[second, column] = df.loc[0, column]
    return df


def _other_month(value: str) -> str:
    year, month = value[:4], int(value[5:7])
    return f"{year}-{month % 12 + 1:02d}" + value[7:]


def _keep_tenth(df: pd.DataFrame, kabkota: str) -> pd.DataFrame:
    return df.iloc[: max(1, len(df) // 10)].copy()


def _semicolon(data: bytes, kabkota: str) -> tuple[bytes, str]:
    return _csv(_frame(data), sep=";", lineterminator="\r\n"), ".csv"


def _cp1252(data: bytes, kabkota: str) -> tuple[bytes, str]:
    df = _frame(data)
    df.loc[0, "nama"] = "ZULKARNAÉN"
    return _csv(df, encoding="cp1252"), ".csv"


def _bom(data: bytes, kabkota: str) -> tuple[bytes, str]:
    return b"\xef\xbb\xbf" + data, ".csv"


def _empty(data: bytes, kabkota: str) -> tuple[bytes, str]:
    return b"", ".csv"


def _xlsx(data: bytes, kabkota: str) -> tuple[bytes, str]:
    import openpyxl

    df = _frame(data)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "penyaluran"
    sheet.append(list(df.columns))
    for row in df.itertuples(index=False):
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue(), ".xlsx"


def _xlsx_numeric_nik(data: bytes, kabkota: str) -> tuple[bytes, str]:
    """A workbook whose NIK column was typed as numbers: Excel keeps 15 significant digits."""
    import openpyxl

    df = _frame(data)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(df.columns))
    nik = list(df.columns).index("nik")
    for i, row in enumerate(df.itertuples(index=False)):
        values = list(row)
        if i < 1:
            values[nik] = float(values[nik])
        sheet.append(values)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue(), ".xlsx"


def _ragged(data: bytes, kabkota: str) -> tuple[bytes, str]:
    lines = data.decode("utf-8").splitlines(keepends=True)
    lines[3] = lines[3].rstrip("\n") + ",lebih\n"
    return "".join(lines).encode("utf-8"), ".csv"


DEFECTS: dict[str, Defect] = {
    d.name: d
    for d in [
        # identities
        Defect("nik_short", "NIK with 15 digits", _rows(_set("nik", lambda v: v[:15]))),
        Defect(
            "nik_scientific",
            "NIK turned into 3.17E+15 by Excel",
            _rows(_set("nik", lambda v: f"{float(v):.2E}", rows=(0,))),
        ),
        Defect(
            "nik_repeated_digit",
            "NIK of one repeated digit",
            _rows(_set("nik", lambda v: "1" * 16, rows=(0,))),
        ),
        Defect("nik_serial_0000", "NIK serial 0000", _rows(_set("nik", lambda v: v[:12] + "0000"))),
        Defect(
            "nik_bad_date",
            "NIK digits 7-12 not a date (day 32)",
            _rows(_set("nik", lambda v: v[:6] + "32" + v[8:])),
        ),
        Defect(
            "nik_unknown_region",
            "NIK prefix that is no kecamatan code",
            _rows(_set("nik", lambda v: "000000" + v[6:])),
        ),
        Defect(
            "nik_other_kabkota", "NIK issued in another kab/kota (warning)", _rows(_nik_from_other_kabkota)
        ),
        Defect(
            "sex_mismatch",
            "sex against the NIK's day (warning)",
            _rows(_set("jenis_kelamin", lambda v: "L" if v == "P" else "P")),
        ),
        Defect("no_kk_short", "No KK with 15 digits", _rows(_set("no_kk", lambda v: v[:15]))),
        Defect(
            "no_kk_scientific",
            "No KK turned into 3.17E+15",
            _rows(_set("no_kk", lambda v: f"{float(v):.2E}", rows=(0,))),
        ),
        Defect("xlsx_numeric_nik", "XLSX whose NIK cells are numbers", _xlsx_numeric_nik),
        # addresses
        Defect("kecamatan_outside_kabkota", "address in another kab/kota", _rows(_move_to_other_kabkota)),
        Defect("desa_outside_kecamatan", "desa of another kecamatan", _rows(_desa_of_other_kecamatan)),
        # programme rules
        Defect(
            "unknown_programme",
            "programme code not in the catalogue",
            _rows(_set("kode_program", lambda v: "PKH-X")),
        ),
        Defect(
            "nominal_above_rules",
            "amount above the programme's maximum",
            _rows(_set("nominal", lambda v: str(int(v) * 100))),
        ),
        Defect(
            "nominal_with_separators",
            "amount written 1.000.000",
            _rows(_set("nominal", lambda v: f"{int(v):,}".replace(",", "."))),
        ),
        Defect(
            "tanggal_salur_outside",
            "distribution date in another month",
            _rows(_set("tanggal_salur", _other_month)),
        ),
        Defect("saluran_invalid", "channel TRANSFER", _rows(_set("saluran", lambda v: "TRANSFER"))),
        # duplicates
        Defect("duplicate_household_programme", "the same row twice", _rows(_duplicate_household_programme)),
        Defect("nik_in_two_households", "one NIK on two family cards", _rows(_same_nik_two_households)),
        # structure
        Defect("blank_name", "recipient name blank", _rows(_set("nama", lambda v: "  "))),
        Defect(
            "periode_mismatch",
            "periode of another month than the folder",
            _rows(_set("periode", _other_month)),
        ),
        Defect(
            "kabkota_mismatch",
            "kode_kabkota of another kab/kota",
            _rows(lambda df, k: df.assign(kode_kabkota=_other_kabkota(k))),
        ),
        Defect("missing_column", "the nik column left out", _rows(lambda df, k: df.drop(columns=["nik"]))),
        Defect(
            "misspelt_header",
            "no_kk written nomor_kk",
            _rows(lambda df, k: df.rename(columns={"no_kk": "nomor_kk"})),
        ),
        Defect("empty_file", "a file with nothing in it", _empty),
        Defect("ragged_rows", "a row with one cell too many", _ragged),
        Defect("row_count_drop", "a tenth of the usual rows (warning)", _rows(_keep_tenth)),
        # formats that must be read correctly
        Defect("semicolon_crlf", "Excel's semicolon CSV with CRLF", _semicolon),
        Defect("cp1252", "Windows-1252 text with an accented name", _cp1252),
        Defect("utf8_bom", "UTF-8 with a byte-order mark", _bom),
        Defect("xlsx", "an Excel workbook", _xlsx),
    ]
}


def make_defective(name: str, clean: bytes, kode_kabkota: str) -> tuple[bytes, str]:
    """The defective version of a clean extract and its file suffix."""
    if name not in DEFECTS:
        raise KeyError(f"unknown defect {name!r}; known: {', '.join(sorted(DEFECTS))}")
    return DEFECTS[name].apply(clean, kode_kabkota)


def clean_extract(kode_kabkota: str, periode: str, seed: int | None = None) -> bytes:
    """The clean Kepri 2022 extract of one kab/kota-month (the whole year is generated: ~3 s)."""
    import tempfile
    from pathlib import Path

    from tools.synthetic.kepri2022 import DEFAULT_SEED, write_kepri_2022

    with tempfile.TemporaryDirectory() as tmp:
        write_kepri_2022(Path(tmp), seed=DEFAULT_SEED if seed is None else seed)
        (path,) = (Path(tmp) / kode_kabkota.split(".")[0] / periode / kode_kabkota).glob("*.csv")
        return path.read_bytes()


def write_defective_extract(
    landing_root, defect: str, kode_kabkota: str, periode: str, clean: bytes | None = None
):
    """Write ``koreksi_<defect>.<csv|xlsx>`` into the kab/kota-month's landing folder; returns its path."""
    from pathlib import Path

    data, suffix = make_defective(defect, clean or clean_extract(kode_kabkota, periode), kode_kabkota)
    folder = Path(landing_root) / kode_kabkota.split(".")[0] / periode / kode_kabkota
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"koreksi_{defect}{suffix}"
    path.write_bytes(data)
    return path
