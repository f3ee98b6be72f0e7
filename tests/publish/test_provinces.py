"""Three provinces in one warehouse, each by its configuration alone, without mixing (issue 12, item 4).

Kepri (21) 2022-12 for three kab/kota (extract, stage and merge: the bystander's clean files skip the GX
suite), then the synthetic Kalimantan Timur (64) December 2022 (Samarinda's P3KE BLT counted in persons:
9,000 x Rp300,000, Samarinda Utara 1,587, the most; Bontang's ASPD) and Kalimantan Barat (61) October 2024
(Pontianak's 11,314 KPM in PKH) go through the same step functions the monthly DAG calls, suite included,
then each province-year is published. The marts and the published files are checked
cell by cell against the landed files and the published figures; Kepri's marts and files are the same
bytes after the other provinces loaded as before; no province's rows appear in another's.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections import defaultdict
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bansos.domain.config import load_province
from bansos.orchestration import steps
from bansos.publish import publication
from tests.conftest import pipeline_env
from tests.pipeline import load_without_suite, query, run_branch
from tools.synthetic.month import KALBAR_2024_10, KALTIM_2022_12, write_month

KEPRI = ("21", "2022-12", ["21.03", "21.05", "21.04"])
SAMARINDA_UTARA = "64.72.05"


def _land_tree(source_root: Path, data_root: Path, province: str, periode: str, kabkota: list[str]) -> None:
    """Copy generated extracts into ``landing/<province>/<periode>/<kab/kota>/`` as the offices would."""
    for kode in kabkota:
        src = sorted((source_root / province / periode / kode).glob("*.csv"))[0]
        dst = data_root / "landing" / province / periode / kode
        dst.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst / src.name)


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _mart(dsn: str, province: str) -> list[tuple]:
    """Every figure of a province in both distribution marts, without the refresh time."""
    summary = query(dsn, "SELECT province, tahun, bulan, kode_kabkota, kode_program, kk_assisted, kk_sum_programmes, "
                         "persons, distributions, total_rupiah, counting_unit, recipients "
                         "FROM mart.distribution_summary WHERE province = %s ORDER BY 1, 2, 3, 4, 5", (province,))
    region = query(dsn, "SELECT province, tahun, jenis_periode, periode, kode_wilayah, kode_program, kk_assisted, "
                        "persons, distributions, total_rupiah, counting_unit, recipients "
                        "FROM mart.distribution_by_region WHERE province = %s ORDER BY 1, 2, 3, 4, 5, 6",
                   (province,))
    return summary + region


@pytest.fixture(scope="module")
def provinces(pg_base, kepri2022, tmp_path_factory):
    generated = tmp_path_factory.mktemp("provinces_src")
    write_month(generated, KALTIM_2022_12)
    write_month(generated, KALBAR_2024_10)
    with pipeline_env(pg_base, tmp_path_factory, "provinces") as env:
        dsn, root = env.dsn, env.root
        province, periode, kabkota = KEPRI
        steps.prepare_warehouse(province)
        _land_tree(kepri2022, root, province, periode, kabkota)
        for kode in kabkota:
            assert load_without_suite(periode, kode)["action"] == "loaded"
        publication.publish("21", 2022)
        kepri_before = {"mart": _mart(dsn, "21"), "csv": (root / "publish/21/2022/distribusi.csv").read_bytes()}

        loaded, checked, reported = {}, {}, {}
        for code, periode in (("64", "2022-12"), ("61", "2024-10")):
            steps.prepare_warehouse(code)
            kabkota = load_province(code).kabkota_codes
            _land_tree(generated, root, code, periode, kabkota)
            loaded[code] = {kode: run_branch(periode, kode, province=code) for kode in kabkota}
            # the monthly DAG's tasks after the branches, in its order
            checked[code] = steps.integrity(code, periode)
            steps.publish(code, periode)
            reported[code] = steps.report(code, periode, run_id="test")
        results = {"64": publication.publish("64", 2022), "61": publication.publish("61", 2024),
                   "21": publication.publish("21", 2022)}
        yield {"dsn": dsn, "root": root, "src": generated, "loaded": loaded, "results": results,
               "kepri_before": kepri_before, "checked": checked, "reported": reported}


def _source(provinces, province: str, periode: str, kode: str) -> list[dict]:
    return _rows(sorted((provinces["src"] / province / periode / kode).glob("*.csv"))[0])


def _distribution(provinces, province: str, tahun: int) -> list[dict]:
    return _rows(provinces["root"] / "publish" / province / str(tahun) / "distribusi.csv")


def _year_cell(rows: list[dict], tingkat: str, kode_wilayah: str, kode_program: str) -> dict:
    [row] = [r for r in rows if r["jenis_periode"] == "tahun" and r["tingkat"] == tingkat
             and r["kode_wilayah"] == kode_wilayah and r["kode_program"] == kode_program]
    return row


def test_every_kabkota_of_both_new_provinces_loads_clean(provinces):
    for code, branches in provinces["loaded"].items():
        assert {kode: ref["action"] for kode, ref in branches.items()} == {
            kode: "loaded" for kode in load_province(code).kabkota_codes}, code
    assert all(r["reconciliation"]["ok"] for r in provinces["results"].values())
    # members of one household in a persons programme are no integrity finding (one NIK, one household)
    assert {code: c["findings"] for code, c in provinces["checked"].items()} == {"64": 0, "61": 0}
    assert provinces["reported"] == {"64": {"64.72": "loaded", "64.74": "loaded"}, "61": {"61.71": "loaded"}}


def test_samarinda_blt_counts_9000_persons_and_2_7_billion_rupiah(provinces):
    dsn = provinces["dsn"]
    [(unit, recipients, persons, kk, rupiah, distributions)] = query(
        dsn, "SELECT counting_unit, recipients, persons, kk_assisted, total_rupiah, distributions "
             "FROM mart.distribution_summary WHERE province = '64' AND tahun = 2022 AND bulan = 12 "
             "AND kode_kabkota = '64.72' AND kode_program = 'BLT-P3KE'")
    source = _source(provinces, "64", "2022-12", "64.72")
    assert (unit, recipients, persons, rupiah, distributions) == ("persons", 9000, 9000, 2_700_000_000, 9000)
    # counted in persons, not households: members of one household each receive it
    assert kk == len({r["no_kk"] for r in source}) < 9000
    [(recipients_year, unit_year)] = query(
        dsn, "SELECT recipients, counting_unit FROM mart.distribution_summary WHERE province = '64' "
             "AND tahun = 2022 AND bulan IS NULL AND kode_kabkota IS NULL AND kode_program = 'BLT-P3KE'")
    assert (recipients_year, unit_year) == (9000, "persons")


def test_samarinda_utara_holds_1587_the_most_of_any_kecamatan(provinces):
    dsn = provinces["dsn"]
    by_kecamatan = dict(query(
        dsn, "SELECT kode_kecamatan, recipients FROM mart.distribution_by_region WHERE province = '64' "
             "AND tahun = 2022 AND jenis_periode = 'bulan' AND bulan = 12 AND tingkat = 'kecamatan' "
             "AND kode_program = 'BLT-P3KE'"))
    expected = defaultdict(set)
    for row in _source(provinces, "64", "2022-12", "64.72"):
        expected[row["kode_kecamatan"]].add(row["nik"])
    assert by_kecamatan == {k: len(v) for k, v in expected.items()}, "every kecamatan cell, in persons"
    assert by_kecamatan[SAMARINDA_UTARA] == 1587
    assert max(by_kecamatan, key=by_kecamatan.get) == SAMARINDA_UTARA
    assert sum(by_kecamatan.values()) == 9000
    [(name,)] = query(dsn, "SELECT DISTINCT nama_kecamatan FROM mart.distribution_by_region "
                           "WHERE kode_kecamatan = %s", (SAMARINDA_UTARA,))
    assert name == "Samarinda Utara"


def test_bontang_is_counted_in_households_beside_samarinda(provinces):
    source = _source(provinces, "64", "2022-12", "64.74")
    [(unit, recipients, kk, rupiah)] = query(
        provinces["dsn"], "SELECT counting_unit, recipients, kk_assisted, total_rupiah FROM mart.distribution_summary "
                          "WHERE province = '64' AND tahun = 2022 AND bulan IS NULL AND kode_kabkota = '64.74' "
                          "AND kode_program = 'ASPD'")
    assert (unit, recipients, kk) == ("households", 412, 412)
    assert rupiah == sum(int(r["nominal"]) for r in source)


def test_pontianak_pkh_counts_11314_kpm(provinces):
    source = _source(provinces, "61", "2024-10", "61.71")
    [(unit, recipients, kk, rupiah, distributions)] = query(
        provinces["dsn"], "SELECT counting_unit, recipients, kk_assisted, total_rupiah, distributions "
                          "FROM mart.distribution_summary WHERE province = '61' AND tahun = 2024 AND bulan IS NULL "
                          "AND kode_kabkota = '61.71' AND kode_program = 'PKH'")
    assert (unit, recipients, kk, distributions) == ("households", 11314, 11314, 11314)
    assert rupiah == sum(int(r["nominal"]) for r in source)
    by_kecamatan = dict(query(
        provinces["dsn"], "SELECT kode_kecamatan, kk_assisted FROM mart.distribution_by_region WHERE province = '61' "
                          "AND jenis_periode = 'tahun' AND tingkat = 'kecamatan' AND kode_program = 'PKH'"))
    expected = defaultdict(set)
    for row in source:
        expected[row["kode_kecamatan"]].add(row["no_kk"])
    assert by_kecamatan == {k: len(v) for k, v in expected.items()}


def test_the_published_files_carry_the_figures(provinces):
    kaltim = _distribution(provinces, "64", 2022)
    blt = _year_cell(kaltim, "kabupaten_kota", "64.72", "BLT-P3KE")
    assert (blt["counting_unit"], blt["recipients"], blt["persons"], blt["total_rupiah"]) == (
        "persons", "9000", "9000", "2700000000")
    utara = _year_cell(kaltim, "kecamatan", SAMARINDA_UTARA, "BLT-P3KE")
    assert (utara["nama_kecamatan"], utara["recipients"], utara["sensor"]) == ("Samarinda Utara", "1587", "")
    province_row = _year_cell(kaltim, "provinsi", "64", "BLT-P3KE")
    assert province_row["recipients"] == "9000" and province_row["total_rupiah"] == "2700000000"

    kalbar = _distribution(provinces, "61", 2024)
    pkh = _year_cell(kalbar, "kabupaten_kota", "61.71", "PKH")
    assert (pkh["counting_unit"], pkh["recipients"], pkh["kk_assisted"]) == ("households", "11314", "11314")

    book = load_workbook(provinces["root"] / "publish/64/2022/bansos_64_2022.xlsx", read_only=True)
    sheet = [row for row in book["Rekap penerima tahunan"].iter_rows(values_only=True)]
    header, blt_line = sheet[0], next(r for r in sheet if r[0] == "BLT-P3KE")
    assert blt_line[header.index("Samarinda (64.72)")] == 9000 and blt_line[-1] == 9000
    assert "(orang)" in blt_line[1]
    report = (provinces["root"] / "publish/64/2022/laporan.html").read_text(encoding="utf-8")
    assert "Penerima per program, dalam satuan program" in report and "9.000" in report
    assert "2.700.000.000" in report
    kalbar_book = load_workbook(provinces["root"] / "publish/61/2024/bansos_61_2024.xlsx", read_only=True)
    pkh_line = next(r for r in kalbar_book["Rekap penerima tahunan"].iter_rows(values_only=True) if r[0] == "PKH")
    assert pkh_line[-1] == 11314


def test_kepri_figures_are_unchanged_beside_them(provinces):
    before = provinces["kepri_before"]
    assert _mart(provinces["dsn"], "21") == before["mart"]
    assert (provinces["root"] / "publish/21/2022/distribusi.csv").read_bytes() == before["csv"]
    kepri = _distribution(provinces, "21", 2022)
    assert {r["counting_unit"] for r in kepri if r["kode_program"]} == {"households"}
    assert all(r["recipients"] == r["kk_assisted"] for r in kepri if r["kode_program"] and not r["sensor"])


def test_no_row_of_one_province_in_another_s_marts_or_files(provinces):
    dsn, root = provinces["dsn"], provinces["root"]
    for table in ("mart.distribution_summary", "mart.distribution_by_region", "mart.submission_completeness"):
        rows = query(dsn, f"SELECT province, kode_kabkota FROM {table} WHERE kode_kabkota IS NOT NULL")  # noqa: S608
        assert rows and all(kabkota.startswith(province + ".") for province, kabkota in rows), table
    years = dict(query(dsn, "SELECT DISTINCT province, tahun FROM mart.distribution_summary"))
    assert years == {"21": 2022, "64": 2022, "61": 2024}
    for province, tahun in years.items():
        folder = root / "publish" / province / str(tahun)
        for name in ("distribusi.csv", "kelengkapan.csv"):
            for row in _rows(folder / name):
                for column in ("kode_wilayah", "kode_kabkota", "kode_kecamatan"):
                    if row.get(column):
                        assert row[column].split(".")[0] == province, (province, name, row[column])
        manifest = json.loads((folder / "manifest.json").read_text())
        assert f"/publish/{province}/{tahun}" in manifest["location"]
    # the 2022 files of Kepri and Kaltim are two folders, each with only its own kab/kota
    kepri = {r["kode_kabkota"] for r in _distribution(provinces, "21", 2022) if r["kode_kabkota"]}
    kaltim = {r["kode_kabkota"] for r in _distribution(provinces, "64", 2022) if r["kode_kabkota"]}
    assert kepri == set(KEPRI[2]) and kaltim == {"64.72", "64.74"}


def test_no_identifier_of_the_new_provinces_in_their_published_files(provinces):
    sources = (_source(provinces, "64", "2022-12", "64.72") + _source(provinces, "64", "2022-12", "64.74")
               + _source(provinces, "61", "2024-10", "61.71"))
    numbers = {r["nik"] for r in sources} | {r["no_kk"] for r in sources}
    for folder in (provinces["root"] / "publish/64/2022", provinces["root"] / "publish/61/2024"):
        for path in folder.glob("*.csv"):
            text = path.read_text(encoding="utf-8")
            assert not any(n in text for n in numbers), path.name
