"""The marts against a whole year loaded through the pipeline's own steps (no Airflow).

Kepri 2022 (84 files) and Batam's 2023 extreme-poverty BLT (3 files) go through extract, stage and merge
once for the module, two branches at a time as Airflow's workers would; the files the data-quality summary
is checked on (January 2022, Anambas' rejected November 2023) also through the GX suite (every month through
it would add minutes, and tests/orchestration/test_steps.py covers it). The
landing times are set per file so the completeness matrix has on-time, late, boundary, rejected,
missing and not-yet-due cells to check. The year 2022 is published once (its marts refreshed in the
publication's snapshot, as the publish DAG does), then 2023's marts refreshed. Then: the province's 2022
table cell by cell, Batam's Rp159,000,000, every level adding up, the matrix, the data-quality summary, the
reconciliation and the published files.
"""

from __future__ import annotations

import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg2
import pytest

from bansos.domain.handoff import Validated, from_xcom, to_xcom
from bansos.domain.storage import open_store
from bansos.orchestration import steps
from bansos.publish import marts, publication, reconcile
from tests.conftest import pipeline_env
from tests.pipeline import land, query, run_branch
from tools.synthetic import write_batam_blt_2023

WIB = ZoneInfo("Asia/Jakarta")
KABKOTA = ["21.72", "21.01", "21.71", "21.02", "21.04", "21.03", "21.05"]
# Dinsos Provinsi Kepulauan Riau, 2022 (DOMAIN.md): KK assisted by programme and kab/kota.
SEED_2022 = {
    "BSKK": {"21.72": 2500, "21.01": 4470, "21.71": 1288, "21.02": 580, "21.04": 2800},
    "JAMSOS": {"21.72": 5151, "21.01": 4081, "21.71": 22465, "21.02": 7045, "21.04": 4588, "21.03": 2159,
               "21.05": 1197},
    "UEP": {"21.72": 70, "21.01": 135, "21.71": 192, "21.02": 38, "21.04": 20, "21.03": 10},
}
SEED_TOTALS = {"BSKK": 11638, "JAMSOS": 46686, "UEP": 465, "KUBE": 60}
# Files that land after the deadline (the 10th of the next month, WIB); everything else lands on the 3rd.
LATE = {("2022-03", "21.05"): 15, ("2022-06", "21.05"): 15, ("2022-09", "21.03"): 11}
AS_OF_2023 = datetime(2024, 1, 5, 12, tzinfo=WIB)  # December 2023 is not due yet (deadline 10 January)
# Files that also go through the GX suite here (the data-quality summary is checked on them).
VALIDATED = {("2022-01", kode) for kode in KABKOTA} | {("2023-11", "21.05")}


def landing_time(periode: str, day: int = 3, hour: int = 9, minute: int = 0) -> float:
    year, month = int(periode[:4]), int(periode[5:])
    first_next = date(year + month // 12, month % 12 + 1, 1)
    moment = datetime(first_next.year, first_next.month, day, hour, minute, tzinfo=WIB)
    return moment.timestamp()


def _branch(pair: tuple[str, str]) -> tuple[str, str, str]:
    periode, kode = pair
    if (periode, kode) in VALIDATED:
        return periode, kode, run_branch(periode, kode, run_id="marts")["action"]
    # extract -> stage -> merge: the same steps without the GX suite, which tests/orchestration/test_steps.py covers and
    # which would make this module take minutes longer; the synthetic files pass it anyway
    ref = steps.extract("21", periode, kode)
    if ref["action"] == "process":
        ref = steps.stage(ref, "marts")
    if ref["action"] == "process":
        passed = Validated(**vars(from_xcom(ref)), warnings=())  # what validate hands on when every rule passes
        ref = steps.merge(to_xcom(passed), "marts")
    return periode, kode, ref["action"]


def run_branches(pairs: list[tuple[str, str]], workers: int = 2) -> dict[tuple[str, str], str]:
    """Run kab/kota branches in ``workers`` forked processes (as parallel Airflow workers would)."""
    import great_expectations  # noqa: F401 - imported once here, inherited by the forked workers

    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        return {(p, k): action for p, k, action in pool.map(_branch, pairs)}


@pytest.fixture(scope="module")
def year(pg_base, kepri2022, tmp_path_factory):
    """A warehouse with Kepri 2022 and Batam's 2023 BLT loaded, 2022 published (its marts refreshed in the
    publication's snapshot) and 2023's marts refreshed."""
    with pipeline_env(pg_base, tmp_path_factory, "marts") as env:
        dsn, root = env.dsn, env.root
        steps.prepare_warehouse("21")
        pairs = []
        for month in range(1, 13):
            periode = f"2022-{month:02d}"
            for kode in KABKOTA:
                day = LATE.get((periode, kode), 3)
                land(root, kepri2022, periode, kode, mtime=landing_time(periode, day))
                pairs.append((periode, kode))
        # the deadline's last minute is on time, the next day's first minute is late
        land(root, kepri2022, "2022-07", "21.03", mtime=landing_time("2022-07", 10, 23, 59))
        land(root, kepri2022, "2022-08", "21.04", mtime=landing_time("2022-08", 11, 0, 1))
        blt = tmp_path_factory.mktemp("batam2023")
        write_batam_blt_2023(blt)
        for periode in ("2023-10", "2023-11", "2023-12"):
            land(root, blt, periode, "21.71", mtime=landing_time(periode))
            pairs.append((periode, "21.71"))
        # Anambas sends November 2023 with a NIK that lost a digit: rejected, and nothing else that year
        source = sorted((kepri2022 / "21" / "2022-11" / "21.05").glob("*.csv"))[0].read_text()
        header, first, *rest = source.replace("2022-11", "2023-11").splitlines(keepends=True)
        cells = first.split(",")
        cells[5] = cells[5][:15]
        bad = header + ",".join(cells) + "".join(rest)
        land(root, kepri2022, "2023-11", "21.05", name="nov2023.csv", content=bad.encode(),
             mtime=landing_time("2023-11", 4))
        pairs.append(("2023-11", "21.05"))
        actions = run_branches(pairs)
        published = tmp_path_factory.mktemp("marts_published")
        publication_2022 = publication.publish_year(dsn, open_store(published.as_uri()), "21", 2022)
        marts.refresh_all(dsn, "21", 2023, as_of=AS_OF_2023)
        yield {"dsn": dsn, "root": root, "actions": actions, "published": published,
               "publication_2022": publication_2022}


def test_every_file_went_through_the_pipeline(year):
    expected = {pair: "loaded" for pair in year["actions"]} | {("2023-11", "21.05"): "rejected"}
    assert year["actions"] == expected
    assert len(expected) == 84 + 3 + 1


def _year_cells(dsn: str, tahun: int) -> dict:
    rows = query(dsn, "SELECT kode_program, tingkat, kode_wilayah, kk_assisted, kk_sum_programmes, "
                      "distributions, total_rupiah, nontunai_rupiah, avg_rupiah_per_kk, avg_rupiah_per_distribution "
                      "FROM mart.distribution_by_region WHERE province = '21' AND tahun = %s "
                      "AND jenis_periode = 'tahun' AND tingkat <> 'kecamatan'", (tahun,))
    return {(p, w): rest for p, _, w, *rest in rows}


def test_the_marts_reproduce_the_province_2022_table(year):
    cells = _year_cells(year["dsn"], 2022)
    for programme, by_kabkota in SEED_2022.items():
        for kode in KABKOTA:
            got = cells.get((programme, kode), [0])[0]
            assert got == by_kabkota.get(kode, 0), (programme, kode)
    for programme, total in SEED_TOTALS.items():
        assert cells[(programme, "21")][0] == total, programme
    assert sum(cells[("KUBE", k)][0] for k in KABKOTA if ("KUBE", k) in cells) == 60
    distinct, province_sum = cells[(None, "21")][:2]
    assert province_sum == 58_849, "the province's headline: KK summed over programmes"
    assert 0 < distinct < 58_849, "distinct households count a household in two programmes once"
    # the monthly DAG's summary mart says the same
    summary = dict(query(year["dsn"], "SELECT kode_program, kk_assisted FROM mart.distribution_summary "
                                      "WHERE tahun = 2022 AND bulan IS NULL AND kode_kabkota IS NULL "
                                      "AND kode_program IS NOT NULL"))
    assert summary == SEED_TOTALS


def test_batam_extreme_poverty_blt_2023_is_rp159_million(year):
    cells = _year_cells(year["dsn"], 2023)
    kk, kk_sum, n, rupiah, nontunai, per_kk, per_distribution = cells[("BLT-EKSTREM", "21.71")]
    assert (kk, n, rupiah) == (53, 159, 159_000_000)
    assert nontunai == rupiah, "paid non-tunai, to bank accounts"
    assert (per_kk, per_distribution) == (3_000_000, 1_000_000)
    assert cells[(None, "21")][3] == 159_000_000, "the only 2023 distributions of the province"
    months = query(year["dsn"], "SELECT periode, kk_assisted, total_rupiah FROM mart.distribution_by_region "
                                "WHERE tahun = 2023 AND jenis_periode = 'bulan' "
                                "AND tingkat = 'kabupaten_kota' AND kode_program = 'BLT-EKSTREM' ORDER BY periode")
    assert months == [(p, 53, 53_000_000) for p in ("2023-10", "2023-11", "2023-12")]
    quarter = query(year["dsn"], "SELECT periode, total_rupiah FROM mart.distribution_by_region "
                                 "WHERE tahun = 2023 AND jenis_periode = 'triwulan' AND tingkat = 'provinsi' "
                                 "AND kode_program IS NULL")
    assert quarter == [("2023-T4", 159_000_000)]


def test_every_level_adds_up(year):
    dsn = year["dsn"]
    # kecamatan -> kab/kota, month -> quarter -> year: distributions and Rupiah add up at every level
    mismatches = query(dsn, """
        WITH m AS (SELECT * FROM mart.distribution_by_region WHERE province = '21' AND tahun = 2022)
        SELECT 'kecamatan' AS kind, k.periode, k.kode_wilayah, k.kode_program
        FROM m AS k
        JOIN (SELECT periode, kode_kabkota, kode_program, sum(distributions) AS n, sum(total_rupiah) AS rp
              FROM m WHERE tingkat = 'kecamatan' GROUP BY 1, 2, 3) AS c
          ON c.periode = k.periode AND c.kode_kabkota = k.kode_wilayah
         AND c.kode_program IS NOT DISTINCT FROM k.kode_program
        WHERE k.tingkat = 'kabupaten_kota' AND (c.n <> k.distributions OR c.rp <> k.total_rupiah)
        UNION ALL
        SELECT 'months', q.periode, q.kode_wilayah, q.kode_program
        FROM m AS q
        JOIN (SELECT triwulan, kode_wilayah, kode_program, sum(distributions) AS n, sum(total_rupiah) AS rp
              FROM m WHERE jenis_periode = 'bulan' GROUP BY 1, 2, 3) AS b
          ON b.triwulan = q.triwulan AND b.kode_wilayah = q.kode_wilayah
         AND b.kode_program IS NOT DISTINCT FROM q.kode_program
        WHERE q.jenis_periode = 'triwulan' AND (b.n <> q.distributions OR b.rp <> q.total_rupiah)
        UNION ALL
        SELECT 'programmes', a.periode, a.kode_wilayah, NULL
        FROM m AS a
        JOIN (SELECT periode, kode_wilayah, sum(kk_assisted) AS kk, sum(distributions) AS n
              FROM m WHERE kode_program IS NOT NULL GROUP BY 1, 2) AS p
          ON p.periode = a.periode AND p.kode_wilayah = a.kode_wilayah
        WHERE a.kode_program IS NULL AND (p.kk <> a.kk_sum_programmes OR p.n <> a.distributions)
    """)
    assert mismatches == []
    levels = dict(query(dsn, "SELECT jenis_periode || '/' || tingkat, count(*) "
                             "FROM mart.distribution_by_region WHERE tahun = 2022 AND kode_program IS NULL "
                             "GROUP BY 1"))
    assert (levels["tahun/provinsi"], levels["triwulan/provinsi"], levels["bulan/provinsi"]) == (1, 4, 12)
    assert levels["tahun/kabupaten_kota"] == 7 and levels["bulan/kabupaten_kota"] == 84
    assert levels["tahun/kecamatan"] > 50


def test_the_summary_copied_from_the_breakdown_is_the_one_a_monthly_run_counts(year):
    # the publication (and refresh_all) copy the summary from the regional breakdown; a monthly run counts it
    # with publish/refresh_summary.sql: every row and column the same, for a full year and for Batam's three months
    sql = "SELECT * FROM mart.distribution_summary WHERE province = '21' AND tahun = %s"
    for tahun, rows in ((2022, 397), (2023, 16)):
        copied = sorted(query(year["dsn"], sql, (tahun,)), key=repr)
        conn = psycopg2.connect(year["dsn"])
        try:
            with conn.cursor() as cur:
                assert marts.refresh(cur, "21", tahun, only=("distribution_summary",)) == {"distribution_summary": rows}
                cur.execute(sql, (tahun,))
                counted = sorted(cur.fetchall(), key=repr)
        finally:
            conn.rollback()  # the module's marts stay as the publication left them
            conn.close()
        assert len(copied) == rows
        assert counted == copied, tahun


def test_the_completeness_matrix_shows_on_time_late_rejected_missing_and_not_due(year):
    dsn = year["dsn"]
    cells = {(p, k): (s, late) for p, k, s, late in query(
        dsn, "SELECT periode, kode_kabkota, status, days_late FROM mart.submission_completeness "
             "WHERE province = '21'")}
    late_2022 = {("2022-03", "21.05"): 5, ("2022-06", "21.05"): 5, ("2022-09", "21.03"): 1,
                 ("2022-08", "21.04"): 1}
    for month in range(1, 13):
        for kode in KABKOTA:
            key = (f"2022-{month:02d}", kode)
            assert cells[key] == (("late", late_2022[key]) if key in late_2022 else ("on_time", None)), key
    assert cells[("2022-07", "21.03")] == ("on_time", None), "landed 23:59 WIB on the deadline day"
    assert cells[("2023-10", "21.71")][0] == "on_time" and cells[("2023-12", "21.71")][0] == "on_time"
    assert cells[("2023-11", "21.05")][0] == "rejected"
    assert cells[("2023-11", "21.72")][0] == "missing"
    assert cells[("2023-12", "21.72")][0] == "not_due", "as of 5 January 2024 December is not due yet"
    rates = {b: rest for b, *rest in query(
        dsn, "SELECT bulan, expected, received, on_time, rejected, missing, reporting_rate_pct, "
             "on_time_rate_pct FROM mart.reporting_rate WHERE province = '21' AND tahun = 2022")}
    assert rates[None][:5] == [84, 84, 80, 0, 0]
    assert float(rates[None][5]) == 100.0 and float(rates[3][6]) == round(100 * 6 / 7, 1)
    nov_2023 = query(dsn, "SELECT expected, received, rejected, missing FROM mart.reporting_rate "
                          "WHERE tahun = 2023 AND bulan = 11")
    assert nov_2023 == [(7, 1, 1, 5)]
    # before its deadline a month expects only the extracts already received
    december = query(dsn, "SELECT expected, received FROM mart.reporting_rate WHERE tahun = 2023 AND bulan = 12")
    assert december == [(1, 1)]


def test_the_data_quality_summary_counts_checks_and_failures(year):
    dsn = year["dsn"]
    failed_errors_2022 = query(dsn, "SELECT count(*) FROM mart.dq_summary WHERE tahun = 2022 "
                                    "AND severity = 'error' AND submissions_failed > 0")
    assert failed_errors_2022 == [(0,)], "every 2022 file was accepted"
    checked_files = query(dsn, "SELECT count(DISTINCT kode_kabkota) FROM mart.dq_summary WHERE periode = '2022-01'")
    assert checked_files == [(7,)]
    nik = query(dsn, "SELECT submissions_checked, submissions_failed, rows_failed FROM mart.dq_summary "
                     "WHERE periode = '2023-11' AND kode_kabkota = '21.05' AND rule = 'nik_format'")
    assert nik == [(1, 1, 1)]
    checked = query(dsn, "SELECT max(rows_checked) FROM mart.dq_summary WHERE periode = '2022-01' "
                         "AND kode_kabkota = '21.71' AND rule = 'nik_format'")[0][0]
    assert checked == query(dsn, "SELECT row_count FROM raw.submission WHERE periode = '2022-01' "
                                 "AND kode_kabkota = '21.71'")[0][0]
    columns = {c for (c,) in query(dsn, "SELECT column_name FROM information_schema.columns "
                                        "WHERE table_schema = 'mart' AND table_name = 'dq_summary'")}
    assert "examples" not in columns, "the mart never carries examples, masked or not"


def test_the_reconciliation_passes_on_the_whole_year(year):
    result = reconcile.reconcile(year["dsn"], "21", 2022)
    assert result.ok, result.flagged[:5]
    published = query(year["dsn"], "SELECT count(*) FROM mart.distribution_by_region WHERE tahun = 2022")
    published = published[0][0]
    assert result.figures == published, "one reconciled line per published figure"
    year_line = next(r for r in result.table.records() if r["jenis_periode"] == "tahun"
                     and r["tingkat"] == "provinsi" and r["kode_program"] is None)
    total_rows = query(year["dsn"], "SELECT sum(row_count) FROM raw.submission WHERE status = 'accepted' "
                                    "AND periode LIKE '2022-%%'")[0][0]
    sides = ("file_rows", "source_rows", "core_rows", "mart_rows", "summary_rows")
    assert [year_line[side] for side in sides] == [total_rows] * len(sides)


def test_the_published_year_reproduces_the_table_in_its_files(year):
    result, published = year["publication_2022"], year["published"]
    assert result["reconciliation"]["ok"]
    from openpyxl import load_workbook

    workbook = load_workbook(published / "publish/21/2022/bansos_21_2022.xlsx", read_only=True)
    sheet = list(workbook["Rekap KK tahunan"].iter_rows(values_only=True))
    header, rows = sheet[0], {r[0]: r for r in sheet[1:] if r[0]}
    batam = header.index("Batam (21.71)")
    assert rows["JAMSOS"][batam] == 22_465 and rows["JAMSOS"][-1] == 46_686
    headline = next(r for r in sheet[1:] if r[1].startswith("KK dibantu, dijumlah"))
    assert headline[-1] == 58_849
    manifest = json.loads((published / "publish/21/2022/manifest.json").read_text())
    assert datetime.now(UTC) - datetime.fromisoformat(manifest["generated_at"]) < timedelta(minutes=5)
    assert manifest["reconciliation"]["ok"] and manifest["report"].endswith("publish/21/2022/laporan.html")
