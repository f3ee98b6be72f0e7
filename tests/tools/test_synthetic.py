"""The synthetic extract generator (tools.synthetic) writes what the contract and the report say.

The expected figures below are typed in from shared/DOMAIN.md on purpose, not read from the
generator's targets file: a typo in that file must fail here. Assertions compare counts, never
print identifiers: a failing test shows how many rows are wrong, not whose NIK.
"""

from __future__ import annotations

import csv
import hashlib
import re
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from bansos.domain.config import load_province
from bansos.domain.resources import REFERENCE_DIR
from tools.synthetic import write_batam_blt_2023, write_bulk_extract, write_kepri_2022
from tools.synthetic.cli import main
from tools.synthetic.targets import load_year_targets
from tools.synthetic.writer import CsvFormat, write_csv

HEADER = (
    "periode,kode_kabkota,kode_kecamatan,kode_desa,no_kk,nik,nama,jenis_kelamin,tanggal_lahir,"
    "alamat,kode_program,nominal,tanggal_salur,saluran,desil,id_kelompok"
)
KABKOTA = ("21.72", "21.01", "21.71", "21.02", "21.04", "21.03", "21.05")
SHORT = {
    "21.72": "tanjungpinang",
    "21.01": "bintan",
    "21.71": "batam",
    "21.02": "karimun",
    "21.04": "lingga",
    "21.03": "natuna",
    "21.05": "anambas",
}
# Dinsos Provinsi Kepulauan Riau, 2022: KK assisted by programme and kab/kota (KABKOTA order).
REPORT_2022 = {
    "BSKK": (2500, 4470, 1288, 580, 2800, 0, 0),
    "JAMSOS": (5151, 4081, 22465, 7045, 4588, 2159, 1197),
    "UEP": (70, 135, 192, 38, 20, 10, 0),
    "KUBE": (9, 9, 9, 9, 8, 8, 8),  # the report gives only the total, 60
}
PROGRAMME_TOTALS = {"BSKK": 11638, "JAMSOS": 46686, "UEP": 465, "KUBE": 60}
HEADLINE_2022 = 58849
DIGITS16 = re.compile(r"^\d{16}$")


def _count(mask: pd.Series) -> int:
    return int(mask.sum())


def _read_all(root: Path) -> pd.DataFrame:
    frames = []
    for path in sorted(root.rglob("*.csv")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame["_path"] = str(path.relative_to(root))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _sha256_tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def wilayah() -> dict[str, set[str]]:
    """Kecamatan codes (dotted) per kab/kota, and the set of all desa codes."""
    kecamatan: dict[str, set[str]] = {}
    desa: set[str] = set()
    with (REFERENCE_DIR / "wilayah.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if not row["kode"].startswith("21."):
                continue
            if row["tingkat"] == "kecamatan":
                kecamatan.setdefault(row["kode"][:5], set()).add(row["kode"])
            elif row["tingkat"] == "desa_kelurahan":
                desa.add(row["kode"])
    return {"desa": desa, **kecamatan}


@pytest.fixture(scope="module")
def kepri_root(kepri2022: Path) -> Path:
    """The run's Kepri tree (tests/conftest.py), written by ``write_kepri_2022`` once for every test file that
    reads it: what it wrote is checked here file by file, and ``test_same_seed_same_bytes`` writes it again."""
    return kepri2022


@pytest.fixture(scope="module")
def kepri(kepri_root: Path) -> pd.DataFrame:
    return _read_all(kepri_root)


def test_landing_layout_and_header(kepri_root: Path) -> None:
    expected = {
        f"21/2022-{m:02d}/{k}/penyaluran_{SHORT[k]}_2022{m:02d}.csv" for k in KABKOTA for m in range(1, 13)
    }
    found = {str(p.relative_to(kepri_root)) for p in kepri_root.rglob("*") if p.is_file()}
    assert found == expected
    for name in sorted(expected):
        raw = (kepri_root / name).read_bytes()
        assert raw.split(b"\n", 1)[0].decode("utf-8") == HEADER
        assert b"\r" not in raw
        assert raw.endswith(b"\n")
        raw.decode("utf-8")


def test_every_row_belongs_to_its_folder(kepri: pd.DataFrame) -> None:
    folder = kepri["_path"].str.split("/", expand=True)
    assert _count(kepri["periode"] != folder[1]) == 0
    assert _count(kepri["kode_kabkota"] != folder[2]) == 0
    assert 150_000 <= len(kepri) <= 200_000


def test_kk_table_matches_the_2022_report(kepri: pd.DataFrame) -> None:
    table = kepri.groupby(["kode_program", "kode_kabkota"])["no_kk"].nunique()
    for programme, row in REPORT_2022.items():
        for kabkota, expected in zip(KABKOTA, row, strict=True):
            assert int(table.get((programme, kabkota), 0)) == expected, (programme, kabkota)
        assert sum(row) == PROGRAMME_TOTALS[programme]
    assert set(kepri["kode_program"]) == set(REPORT_2022)
    assert int(table.sum()) == HEADLINE_2022
    distinct = kepri["no_kk"].nunique()
    # Some households get two programmes, so there are fewer distinct households than the sum.
    assert 55_000 < distinct < HEADLINE_2022


def test_targets_file_holds_the_report(kepri: pd.DataFrame) -> None:
    targets = load_year_targets("21-2022", load_province("21"))
    assert targets.total_kk == HEADLINE_2022
    for programme, row in REPORT_2022.items():
        assert tuple(targets.kk_for(programme, k) for k in KABKOTA) == row


def test_identity_numbers_are_structurally_valid(kepri: pd.DataFrame, wilayah: dict) -> None:
    for column in ("nik", "no_kk"):
        values = kepri[column]
        assert _count(~values.str.fullmatch(r"\d{16}")) == 0, column
        assert _count(values.str[12:16] == "0000") == 0, column
        assert _count(values.map(lambda v: len(set(v)) == 1)) == 0, column
        dotted = values.str[0:2] + "." + values.str[2:4] + "." + values.str[4:6]
        own = [dotted[i] in wilayah[k] for i, k in enumerate(kepri["kode_kabkota"])]
        assert _count(~pd.Series(own)) == 0, f"{column} prefix outside the submitting kab/kota"
    # No KK: issuing kecamatan = the household's kecamatan; recorded 2005-2021 on a real date.
    assert _count(kepri["no_kk"].str[:6] != kepri["kode_kecamatan"].str.replace(".", "")) == 0
    kk_dates = pd.to_datetime(
        "20" + kepri["no_kk"].str[10:12] + kepri["no_kk"].str[8:10] + kepri["no_kk"].str[6:8],
        format="%Y%m%d",
        errors="coerce",
    )
    assert _count(kk_dates.isna()) == 0
    assert kk_dates.min() >= pd.Timestamp("2005-01-01") and kk_dates.max() <= pd.Timestamp("2021-12-31")


def test_nik_encodes_birth_date_and_sex(kepri: pd.DataFrame) -> None:
    people = kepri.drop_duplicates("nik")
    day = people["nik"].str[6:8].astype(int)
    female = people["jenis_kelamin"] == "P"
    assert set(people["jenis_kelamin"]) == {"L", "P"}
    assert _count(female & (day <= 40)) == 0
    assert _count(~female & (day > 31)) == 0
    real_day = day - 40 * female.astype(int)
    birth = pd.to_datetime(people["tanggal_lahir"], format="%Y-%m-%d", errors="coerce")
    assert _count(birth.isna()) == 0
    assert _count(real_day != birth.dt.day) == 0
    assert _count(people["nik"].str[8:10].astype(int) != birth.dt.month) == 0
    assert _count(people["nik"].str[10:12].astype(int) != birth.dt.year % 100) == 0


def test_recipients_are_adults_up_to_85(kepri: pd.DataFrame) -> None:
    birth = pd.to_datetime(kepri["tanggal_lahir"], format="%Y-%m-%d")
    start = pd.to_datetime(kepri["periode"] + "-01", format="%Y-%m-%d")
    end = start + pd.offsets.MonthEnd(0)

    def age(on: pd.Series) -> pd.Series:
        before_birthday = (on.dt.month < birth.dt.month) | (
            (on.dt.month == birth.dt.month) & (on.dt.day < birth.dt.day)
        )
        return on.dt.year - birth.dt.year - before_birthday.astype(int)

    assert _count(age(start) < 18) == 0
    assert _count(age(end) > 85) == 0


def test_household_is_the_same_everywhere(kepri: pd.DataFrame) -> None:
    per_kk = kepri.groupby("no_kk")[
        [
            "nik",
            "nama",
            "jenis_kelamin",
            "tanggal_lahir",
            "kode_kabkota",
            "kode_kecamatan",
            "kode_desa",
            "alamat",
        ]
    ].nunique()
    assert int((per_kk > 1).to_numpy().sum()) == 0
    # NIK unique across the province: one NIK, one household.
    assert int((kepri.groupby("nik")["no_kk"].nunique() > 1).sum()) == 0
    assert _count(kepri["nama"].str.strip() == "") == 0


def test_regions_are_real_and_nested(kepri: pd.DataFrame, wilayah: dict) -> None:
    inside = [
        kec in wilayah[k] for kec, k in zip(kepri["kode_kecamatan"], kepri["kode_kabkota"], strict=True)
    ]
    assert _count(~pd.Series(inside)) == 0
    assert _count(~kepri["kode_desa"].isin(wilayah["desa"])) == 0
    assert _count(kepri["kode_desa"].str[:8] != kepri["kode_kecamatan"]) == 0


def test_payments_follow_the_programme_rules(kepri: pd.DataFrame) -> None:
    province = load_province("21")
    assert _count(~kepri["nominal"].str.fullmatch(r"[1-9]\d*")) == 0
    nominal = kepri["nominal"].astype(int)
    for programme in sorted(set(kepri["kode_program"])):
        rule = province.programme(programme)
        rows = kepri["kode_program"] == programme
        assert _count(rows & ((nominal < rule.nominal_min) | (nominal > rule.nominal_max))) == 0
        assert _count(rows & (nominal % 50_000 != 0)) == 0
        assert _count(rows & ~kepri["saluran"].isin(rule.channels)) == 0
        group_rows = rows & (kepri["id_kelompok"] != "")
        assert _count(group_rows) == (int(rows.sum()) if rule.group else 0)
    paid = pd.to_datetime(kepri["tanggal_salur"], format="%Y-%m-%d", errors="coerce")
    assert _count(paid.isna()) == 0
    assert _count(paid.dt.strftime("%Y-%m") != kepri["periode"]) == 0
    assert _count(~kepri["desil"].isin(["", *map(str, range(1, 11))])) == 0
    assert (kepri["desil"].isin(["1", "2", "3", "4"])).mean() > 0.8


def test_distribution_patterns(kepri: pd.DataFrame) -> None:
    assert int(kepri.duplicated(["periode", "kode_program", "no_kk"]).sum()) == 0
    assert int(kepri.duplicated(["periode", "kode_program", "nik"]).sum()) == 0
    months = kepri.groupby(["kode_program", "no_kk"])["periode"].nunique()
    rows = kepri.groupby(["kode_program", "no_kk"]).size()
    for programme, per_year in (("BSKK", 1), ("JAMSOS", 3), ("UEP", 1), ("KUBE", 1)):
        assert set(months[programme]) == {per_year}, programme
        assert set(rows[programme]) == {per_year}, programme
    assert int(kepri.groupby("kode_kabkota")["periode"].nunique().min()) == 12
    kube = kepri[kepri["kode_program"] == "KUBE"].groupby("id_kelompok")
    assert kube["no_kk"].nunique().between(4, 10).all()
    assert (kube[["periode", "kode_desa", "nominal"]].nunique() == 1).all().all()
    assert int(kube["kode_kabkota"].first().value_counts().sum()) == kube.ngroups
    # Overlap: about a tenth of BSKK households also receive JAMSOS.
    programmes_per_kk = kepri.groupby("no_kk")["kode_program"].nunique()
    assert int((programmes_per_kk >= 2).sum()) > 1000


def test_rows_are_sorted(kepri: pd.DataFrame) -> None:
    key = ["kode_program", "kode_kecamatan", "kode_desa", "no_kk"]
    for _, frame in kepri.groupby("_path", sort=False):
        assert frame[key].equals(frame[key].sort_values(key).reset_index(drop=True).set_axis(frame.index))


def test_same_seed_same_bytes(kepri_root: Path, tmp_path: Path) -> None:
    write_kepri_2022(tmp_path)
    assert _sha256_tree(tmp_path) == _sha256_tree(kepri_root)


def test_batam_blt_2023(tmp_path: Path, kepri: pd.DataFrame) -> None:
    written = write_batam_blt_2023(tmp_path)
    assert [str(p.relative_to(tmp_path)) for p in written] == [
        f"21/2023-{m}/21.71/penyaluran_batam_2023{m}.csv" for m in ("10", "11", "12")
    ]
    blt = _read_all(tmp_path)
    assert list(blt.columns[:-1]) == HEADER.split(",")
    assert set(blt["kode_program"]) == {"BLT-EKSTREM"}
    assert set(blt["saluran"]) == {"NONTUNAI"}
    assert set(blt["nominal"]) == {"1000000"}
    assert blt["nominal"].astype(int).sum() == 159_000_000
    assert blt["no_kk"].nunique() == 53
    assert blt.groupby("periode")["no_kk"].nunique().to_dict() == {
        "2023-10": 53,
        "2023-11": 53,
        "2023-12": 53,
    }
    # The same households as in Batam's 2022 JAMSOS rows, with the same NIK.
    jamsos = kepri[(kepri["kode_kabkota"] == "21.71") & (kepri["kode_program"] == "JAMSOS")]
    pairs = set(zip(jamsos["no_kk"], jamsos["nik"], strict=True))
    assert all(pair in pairs for pair in zip(blt["no_kk"], blt["nik"], strict=True))


def test_bulk_file_has_n_rows_in_bounded_chunks(tmp_path: Path, wilayah: dict) -> None:
    path = write_bulk_extract(tmp_path, "21.71", "2022-12", 5000, chunk_rows=1200)
    assert path == tmp_path / "21/2022-12/21.71/penyaluran_batam_202212.csv"
    raw = path.read_bytes()
    assert raw.count(b"\n") == 5001
    assert raw.split(b"\n", 1)[0].decode() == HEADER
    rows = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert len(rows) == 5000
    assert rows["nik"].is_unique and rows["no_kk"].is_unique
    assert _count(~rows["nik"].str.fullmatch(r"\d{16}")) == 0
    assert _count(rows["nik"].str[12:16].astype(int) < 5001) == 0  # bulk serials never meet the registry's
    assert _count(~rows["kode_kecamatan"].isin(wilayah["21.71"])) == 0
    assert set(rows["periode"]) == {"2022-12"}
    assert _count(~rows["tanggal_salur"].str.startswith("2022-12-")) == 0
    again = write_bulk_extract(tmp_path / "again", "21.71", "2022-12", 5000, chunk_rows=1200)
    assert hashlib.sha256(again.read_bytes()).digest() == hashlib.sha256(raw).digest()


def test_writer_quotes_values_that_need_it(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": ["1", "x,y"], "b": ['say "hi"', ""]}, dtype=object)
    path = tmp_path / "f.csv"
    assert write_csv(path, [frame]) == 2
    assert path.read_text() == 'a,b\n1,"say ""hi"""\n"x,y",\n'
    semicolon = tmp_path / "g.csv"
    write_csv(semicolon, [frame.iloc[:1]], CsvFormat(sep=";", encoding="cp1252", lineterminator="\r\n"))
    assert semicolon.read_bytes() == b'a;b\r\n1;"say ""hi"""\r\n'


def test_targets_that_do_not_add_up_are_refused(tmp_path: Path) -> None:
    source = Path(__file__).resolve().parents[2] / "tools/synthetic/targets/21-2022.toml"
    broken = tmp_path / "broken.toml"
    broken.write_text(source.read_text().replace('"21.72" = 2500', '"21.72" = 2501'))
    with pytest.raises(ValueError, match="58849"):
        load_year_targets(str(broken), load_province("21"))


def test_command_prints_paths_and_counts_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            ["bulk", "--landing", str(tmp_path), "--kabkota", "21.05", "--period", "2023-01", "--rows", "300"]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "penyaluran_anambas_202301.csv\t300 rows" in out
    assert not re.search(r"\d{16}", out)
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0


def test_birth_and_record_dates_helpers() -> None:
    from tools.synthetic.identities import birth_window

    earliest, latest = birth_window(date(2022, 1, 1), date(2023, 12, 31))
    assert latest == date(2004, 1, 1)
    assert earliest == date(1937, 12, 31) + timedelta(days=1)
