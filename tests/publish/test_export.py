"""Publishing a province-year: the files, what they must never contain, suppression, the report, the
reconciliation, and the publish DAG's Asset schedule.

Three small kab/kota for two months go through the real steps once for the module (kecamatan cells
under 5 households exist there; January through the GX suite too, so the data-quality file has rule
results to publish, February without it), then the publication is written to a local data root and read
back with the libraries an office would use (csv, openpyxl, pyarrow).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path

import psycopg2
import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from bansos.domain.config import load_province
from bansos.domain.privacy import FULL_IDENTIFIER, pseudonymise
from bansos.domain.storage import S3Store, open_store
from bansos.orchestration import assets, steps
from bansos.publish import export, marts, publication, reconcile
from tests.conftest import KEY, pipeline_env
from tests.pipeline import land, load_without_suite, query, run_branch

ROOT = Path(__file__).resolve().parents[2]
PERIODS = ["2022-01", "2022-02"]
KABKOTA = ["21.72", "21.03", "21.05"]
PREFIX = "publish/21/2022"


@pytest.fixture(scope="module")
def published(pg_base, kepri2022, tmp_path_factory):
    with pipeline_env(pg_base, tmp_path_factory, "export") as env:
        dsn, root = env.dsn, env.root
        steps.prepare_warehouse("21")
        for periode in PERIODS:
            for kode in KABKOTA:
                land(root, kepri2022, periode, kode)
                load = run_branch if periode == PERIODS[0] else load_without_suite
                assert load(periode, kode)["action"] == "loaded"
        result = publication.publish("21", 2022)
        yield {"dsn": dsn, "root": root, "result": result, "dir": root / PREFIX}


def _sources(kepri2022: Path) -> list[dict]:
    rows = []
    for periode in PERIODS:
        for kode in KABKOTA:
            path = sorted((kepri2022 / "21" / periode / kode).glob("*.csv"))[0]
            rows += list(csv.DictReader(path.open(encoding="utf-8")))
    return rows


def _text_of(path: Path) -> str:
    """Everything a reader of the file could see, as text."""
    if path.suffix == ".xlsx":
        book = load_workbook(path, read_only=True)
        return "\n".join(" ".join("" if v is None else str(v) for v in row)
                         for sheet in book.worksheets for row in sheet.iter_rows(values_only=True))
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        meta = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
        return json.dumps(table.to_pylist(), default=str) + json.dumps(meta)
    return path.read_text(encoding="utf-8")


def test_every_format_is_published_and_listed_in_the_manifest(published):
    folder = published["dir"]
    names = {p.name for p in folder.iterdir()}
    for stem in ("distribusi", "kelengkapan", "tingkat_pelaporan", "kualitas_data"):
        assert {f"{stem}.csv", f"{stem}.parquet"} <= names
    assert {"rekonsiliasi.csv", "bansos_21_2022.xlsx", "laporan.html", "manifest.json"} <= names
    manifest = json.loads((folder / "manifest.json").read_text())
    assert {f["name"] for f in manifest["files"]} == names - {"manifest.json"}
    assert published["result"]["report"] == (folder / "laporan.html").as_uri()
    assert "laporan.html" in publication.describe(published["result"])
    store = open_store(published["root"].as_uri())
    assert publication.published(store, "21", 2022) == published["result"]
    assert publication.published(store, "21", 2019) is None


def test_codes_stay_text_and_rupiah_is_formatted(published):
    folder = published["dir"]
    schema = pq.read_schema(folder / "distribusi.parquet")
    types = {name: str(schema.field(name).type) for name in schema.names}
    assert types["kode_wilayah"] == types["kode_kabkota"] == types["periode"] == "string"
    assert types["total_rupiah"] == types["kk_assisted"] == "int64"
    book = load_workbook(folder / "bansos_21_2022.xlsx")
    assert book.sheetnames[0] == "Catatan"
    sheet = book["Distribusi"]
    header = [c.value for c in sheet[1]]
    kode, rupiah, kk = header.index("kode_wilayah") + 1, header.index("total_rupiah") + 1, header.index("kk_assisted")
    level = header.index("tingkat")
    kabkota_row = next(r for r in sheet.iter_rows(min_row=2) if r[level].value == "kabupaten_kota")
    assert kabkota_row[kode - 1].data_type == "s" and kabkota_row[kode - 1].value in KABKOTA
    assert kabkota_row[kode - 1].number_format == "@"
    assert kabkota_row[rupiah - 1].number_format == '"Rp"#,##0'
    assert isinstance(kabkota_row[rupiah - 1].value, int)
    assert isinstance(kabkota_row[kk].value, int)
    with (folder / "distribusi.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["kode_kabkota"] for r in rows if r["tingkat"] == "kabupaten_kota"} == set(KABKOTA)
    assert all(re.fullmatch(r"\d+", r["total_rupiah"]) for r in rows if not r["sensor"])


def test_no_nik_no_kk_name_birth_date_or_hash_in_any_published_file(published, kepri2022):
    sources = _sources(kepri2022)
    numbers, hashes, dates = set(), set(), {row["tanggal_lahir"] for row in sources}
    for row in sources:
        numbers |= {row["nik"], row["no_kk"]}
        hashes |= {pseudonymise(row["nik"], KEY).hex(), pseudonymise(row["no_kk"], KEY).hex()}
    names = {row["nama"] for row in sources}
    files = sorted(published["dir"].iterdir())
    assert len(files) >= 12
    for path in files:
        text = _text_of(path)
        assert not FULL_IDENTIFIER.search(text), f"{path.name} holds a 16-digit number"
        assert not numbers & set(re.findall(r"\d+", text)), path.name
        assert not hashes & set(re.findall(r"[0-9a-f]{64}", text)), path.name
        assert not dates & set(re.findall(r"\d{4}-\d{2}-\d{2}", text)), f"{path.name} holds a birth date"
        words = set(re.findall(r"[A-Z][A-Z'.-]*", text))
        candidates = [n for n in names if set(n.split()) <= words]  # cheap filter, then the exact check
        assert not [n for n in candidates if n in text], f"{path.name} holds a recipient's name"
    manifest = json.loads((published["dir"] / "manifest.json").read_text())
    hashes = {bytes(h).hex() for (h,) in query(published["dsn"], "SELECT kk_hash FROM core.household")}
    assert not hashes & set(re.findall(r"[0-9a-f]{64}", json.dumps(manifest))), "only file checksums"


def test_kecamatan_cells_under_five_households_are_suppressed(published):
    folder = published["dir"]
    mart = {(r[0], r[1], r[2]): r[3] for r in query(
        published["dsn"], "SELECT periode, kode_wilayah, coalesce(kode_program, ''), kk_assisted "
                          "FROM mart.distribution_by_region WHERE tingkat = 'kecamatan' AND tahun = 2022")}
    small = {k for k, kk in mart.items() if kk < 5}
    assert small, "the fixture must have small kecamatan cells"
    with (folder / "distribusi.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    shown = {(r["periode"], r["kode_wilayah"], r["kode_program"]): r
             for r in rows if r["tingkat"] == "kecamatan"}
    for key in small:
        assert shown[key]["kk_assisted"] == "<5" and shown[key]["sensor"] == "<5"
        assert shown[key]["total_rupiah"] == "<5" and shown[key]["distributions"] == "<5"
    visible = [r for r in shown.values() if not r["sensor"]]
    assert all(int(r["kk_assisted"]) >= 5 for r in visible)
    assert any(r["sensor"] == "x" for r in shown.values()), "complementary suppression hides a second cell"
    assert all(not r["sensor"] for r in rows if r["tingkat"] != "kecamatan"), "kab/kota figures stay complete"
    table = pq.read_table(folder / "distribusi.parquet").to_pylist()
    hidden = [r for r in table if r["sensor"] == "<5"]
    assert len(hidden) == len(small) and all(r["kk_assisted"] is None for r in hidden)
    sheet = load_workbook(folder / "bansos_21_2022.xlsx", read_only=True)["Catatan"]
    assert any("<5" in str(row[1]) for row in sheet.iter_rows(values_only=True)), "the workbook says so"


def test_the_report_is_self_contained_with_three_kinds_of_chart(published):
    html = (published["dir"] / "laporan.html").read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert re.findall(r"(?:src|href)=\"(https?:)?//", html) == [], "nothing is fetched from the network"
    assert html.count("<svg") == 3
    for name in ("Tanjungpinang", "Natuna", "Anambas", "KK dibantu per kabupaten/kota dan program",
                 "Tren bulanan", "Kelengkapan", "Rekonsiliasi", "Semua", "angka cocok"):
        assert name in html, name
    assert "tepat waktu" in html or "terlambat" in html


def test_the_same_publication_goes_to_an_s3_publish_area(published, s3_server):
    """On the session's S3 server over HTTP (an in-process ``mock_aws`` would reset that server's buckets)."""
    client, bucket = s3_server.client, s3_server.bucket
    prefix = s3_server.root().split("/", 3)[3]
    store = S3Store(bucket, prefix, client)
    manifest = publication.write_files(store, load_province("21"),
                                       publication.take_snapshot(published["dsn"], "21", 2022))
    listed = client.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/publish/21/2022/")["Contents"]
    keys = {o["Key"].rsplit("/", 1)[-1] for o in listed}
    head = client.head_object(Bucket=bucket, Key=f"{prefix}/publish/21/2022/bansos_21_2022.xlsx")
    assert keys == {f["name"] for f in manifest["files"]} | {"manifest.json"}
    assert manifest["report"] == f"s3://{bucket}/{prefix}/publish/21/2022/laporan.html"
    assert head["ContentType"] == export.CONTENT_TYPES["xlsx"]


def test_the_reconciliation_passes_on_clean_data(published):
    rec = published["result"]["reconciliation"]
    assert rec["ok"] and rec["differences"] == 0 and rec["figures"] > 100
    with (published["dir"] / "rekonsiliasi.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == rec["figures"] and {r["status"] for r in rows} == {reconcile.OK}


def test_the_reconciliation_flags_a_mart_figure_that_differs_from_core(published):
    dsn = published["dsn"]
    marts.refresh_all(dsn, "21", 2022)
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("UPDATE mart.distribution_by_region SET distributions = distributions + 1 "
                    "WHERE tahun = 2022 AND jenis_periode = 'bulan' AND bulan = 2 AND tingkat = 'kecamatan' "
                    "AND kode_kabkota = '21.05' AND kode_program = 'JAMSOS' "
                    "AND kode_kecamatan = (SELECT min(kode_kecamatan) FROM core.distribution_current "
                    "WHERE periode = '2022-02' AND kode_kabkota = '21.05')")
        assert cur.rowcount == 1
    result = reconcile.reconcile(dsn, "21", 2022)
    assert not result.ok
    (flagged,) = result.flagged
    assert flagged["tingkat"] == "kecamatan" and flagged["periode"] == "2022-02"
    assert flagged["mart_rows"] == flagged["core_rows"] + 1 and "baris mart" in flagged["selisih"]
    marts.refresh_all(dsn, "21", 2022)
    assert reconcile.reconcile(dsn, "21", 2022).ok, "a refresh repairs the mart"


def test_the_reconciliation_flags_a_row_lost_between_the_file_and_core(published):
    dsn = published["dsn"]
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:  # a deliberately broken row: gone from core
        cur.execute("DELETE FROM core.distribution WHERE (batch_id, source_line) = (SELECT d.batch_id, "
                    "min(d.source_line) FROM core.distribution_current AS d WHERE d.periode = '2022-02' "
                    "AND d.kode_kabkota = '21.03' AND d.kode_program = 'JAMSOS' GROUP BY d.batch_id)")
        assert cur.rowcount == 1
    result = publication.publish("21", 2022)
    rec = result["reconciliation"]
    assert not rec["ok"]
    flagged = {(r["jenis_periode"], r["periode"], r["tingkat"], r["kode_wilayah"], r["kode_program"] or "")
               for r in csv.DictReader(io.StringIO((published["dir"] / "rekonsiliasi.csv").read_text()))
               if r["status"] == reconcile.DIFFERENT}
    assert ("bulan", "2022-02", "kabupaten_kota", "21.03", "JAMSOS") in flagged
    assert ("tahun", "2022", "provinsi", "21", "") in flagged, "and every figure above it"
    assert not any(level == "kecamatan" for _, _, level, _, _ in flagged), "core and marts still agree below"
    html = (published["dir"] / "laporan.html").read_text(encoding="utf-8")
    assert "berselisih" in html and "sumber" in html


@pytest.fixture(scope="module")
def dagbag(tmp_path_factory):
    os.environ.setdefault("AIRFLOW_HOME", str(tmp_path_factory.mktemp("airflow_home")))
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(ROOT / "dags")
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(ROOT / "dags" / "provinsi_21_kepulauan_riau.py"))


def test_the_publish_dag_is_scheduled_on_the_province_mart_asset(dagbag):
    assert dagbag.import_errors == {}
    dag = dagbag.dags["bansos_publish_21"]
    asset = assets.mart_asset("21")
    assert (asset.name, asset.uri) == ("bansos_marts_21", "bansos://warehouse/mart/21")
    scheduled = dag.timetable.asset_condition.objects
    assert [(a.name, a.uri) for a in scheduled] == [(asset.name, asset.uri)]
    assert dag.params["tahun"] is None
    assert set(dag.task_ids) == {"resolve_targets", "publish", "check_reconciliation"}
    assert "publish" in dag.get_task("check_reconciliation").upstream_task_ids


def test_the_files_carry_the_approval_status_and_the_report_the_final_headline(published, tmp_path):
    """Issue 13: every published row says whether the kab/kota-months it counts are final (approved) or
    provisional; the existing columns keep their order, the approval columns come after them (``sensor`` stays
    last); the report says how many kab/kota-months are provisional and the final-only headline."""
    from bansos import approve

    folder = published["dir"]
    header = (folder / "distribusi.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header[header.index("avg_rupiah_per_distribution"):] == [
        "avg_rupiah_per_distribution", "approval_status", "provisional_months", "kk_sum_programmes_final", "sensor"]
    rows = list(csv.DictReader((folder / "distribusi.csv").open(encoding="utf-8")))
    assert {r["approval_status"] for r in rows} == {"provisional"}, "nothing is approved yet"
    completeness = list(csv.DictReader((folder / "kelengkapan.csv").open(encoding="utf-8")))
    assert list(completeness[0])[-2:] == ["approval_status", "held_corrections"]
    loaded = {(r["kode_kabkota"], r["periode"]) for r in completeness if r["approval_status"] == "provisional"}
    assert loaded == {(k, p) for k in KABKOTA for p in PERIODS}
    assert {r["approval_status"] for r in completeness if (r["kode_kabkota"], r["periode"]) not in loaded} == {""}
    report = (folder / "laporan.html").read_text(encoding="utf-8")
    assert "6 kab/kota-month(s) still provisional" in report and "final-only headline is 0" in report

    approve.record(published["dsn"], "21", "2022-01", "approved", who="kepala.dinas", source="cli")
    store = open_store(tmp_path.as_uri())
    publication.publish_year(published["dsn"], store, "21", 2022)
    again = tmp_path / PREFIX
    rows = list(csv.DictReader((again / "distribusi.csv").open(encoding="utf-8")))
    by_month = {(r["periode"], r["tingkat"], r["kode_wilayah"], r["kode_program"]): r for r in rows}
    for kode in KABKOTA:
        assert by_month[("2022-01", "kabupaten_kota", kode, "")]["approval_status"] == "final"
        assert by_month[("2022-02", "kabupaten_kota", kode, "")]["approval_status"] == "provisional"
    [year] = [r for r in rows if r["jenis_periode"] == "tahun" and r["tingkat"] == "provinsi" and not r["kode_program"]]
    [before] = [r for r in csv.DictReader((folder / "distribusi.csv").open(encoding="utf-8"))
                if r["jenis_periode"] == "tahun" and r["tingkat"] == "provinsi" and not r["kode_program"]]
    assert year["kk_sum_programmes"] == before["kk_sum_programmes"], "the headline does not move"
    assert (year["approval_status"], year["provisional_months"]) == ("provisional", "3")
    assert 0 < int(year["kk_sum_programmes_final"]) < int(year["kk_sum_programmes"])
    report = (again / "laporan.html").read_text(encoding="utf-8")
    assert "3 kab/kota-month(s) still provisional" in report
    final = f"{int(year['kk_sum_programmes_final']):,}".replace(",", ".")  # Indonesian style: 12.345
    assert f"final-only headline is {final}." in report
