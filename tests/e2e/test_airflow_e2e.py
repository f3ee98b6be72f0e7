"""End to end: the twelve months of 2022 through the real Airflow scheduler, against a real PostgreSQL.

Starts the same local stack as ``make demo`` (embedded PostgreSQL, Airflow scheduler, dag-processor,
api-server and triggerer) in a temporary folder, lands the synthetic Kepri 2022 extracts, backfills
2022 through the REST API, and checks the warehouse against the province's published 2022 table,
cell by cell. Then one month is run again and the warehouse must be exactly as it was.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bansos.devstack import airflow as airflow_proc
from bansos.devstack import demo
from bansos.devstack import stack as stack_mod
from tests.warehouse.test_monthly_steps import query, snapshot

pytestmark = pytest.mark.e2e

# Dinsos Provinsi Kepulauan Riau, 2022 (DOMAIN.md): KK assisted by programme and kab/kota.
SEED_2022 = {
    "BSKK": {"21.72": 2500, "21.01": 4470, "21.71": 1288, "21.02": 580, "21.04": 2800},
    "JAMSOS": {
        "21.72": 5151,
        "21.01": 4081,
        "21.71": 22465,
        "21.02": 7045,
        "21.04": 4588,
        "21.03": 2159,
        "21.05": 1197,
    },
    "UEP": {"21.72": 70, "21.01": 135, "21.71": 192, "21.02": 38, "21.04": 20, "21.03": 10},
}
SEED_TOTALS = {"BSKK": 11638, "JAMSOS": 46686, "UEP": 465, "KUBE": 60}
KK_ALL_PROGRAMMES = 58849


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    state = tmp_path_factory.mktemp("stack")
    data_root = (state / "data").as_uri()
    st = stack_mod.configure(state, port=airflow_proc.free_port(), data_root=data_root)
    demo.land_kepri_2022(data_root)
    try:
        stack_mod.up(st)
        yield st
    finally:
        stack_mod.down(state)


@pytest.fixture(scope="module")
def year_2022(stack):
    return demo.run_year(stack, timeout=2400)


def test_twelve_monthly_runs_succeed(stack, year_2022):
    assert len(year_2022) == 12
    assert {r["state"] for r in year_2022} == {"success"}
    periods = query(stack.warehouse_url, "SELECT DISTINCT periode FROM core.kabkota_month ORDER BY 1")
    assert [p for (p,) in periods] == [f"2022-{m:02d}" for m in range(1, 13)]
    months = query(stack.warehouse_url, "SELECT count(*) FROM core.kabkota_month")
    assert months[0][0] == 12 * 7


def test_the_warehouse_reproduces_the_province_table_cell_by_cell(stack, year_2022):
    rows = query(
        stack.warehouse_url,
        "SELECT kode_program, coalesce(kode_kabkota, 'all'), kk_assisted, kk_sum_programmes "
        "FROM mart.distribution_summary WHERE province = '21' AND tahun = 2022 AND bulan IS NULL",
    )
    cells = {(p, k): kk for p, k, kk, _ in rows if p is not None}
    for programme, by_kabkota in SEED_2022.items():
        for kode in ["21.72", "21.01", "21.71", "21.02", "21.04", "21.03", "21.05"]:
            assert cells.get((programme, kode), 0) == by_kabkota.get(kode, 0), (programme, kode)
    for programme, total in SEED_TOTALS.items():
        assert cells[(programme, "all")] == total, programme
    kube = sum(v for (p, k), v in cells.items() if p == "KUBE" and k != "all")
    assert kube == 60
    (all_programmes,) = [(kk, kk_sum) for p, k, kk, kk_sum in rows if p is None and k == "all"]
    distinct_households, province_sum = all_programmes
    assert province_sum == KK_ALL_PROGRAMMES
    assert 0 < distinct_households < KK_ALL_PROGRAMMES


def test_running_a_month_again_leaves_the_warehouse_exactly_as_it_was(stack, year_2022):
    before = snapshot(stack.warehouse_url)
    api = stack.api()
    api.trigger(demo.DAG_ID, conf={"periode": "2022-06"}, run_id="rerun_2022_06")
    runs = api.wait_runs_finished(demo.DAG_ID, 13, timeout=600)
    rerun = [r for r in runs if r["dag_run_id"] == "rerun_2022_06"]
    assert rerun and rerun[0]["state"] == "success"
    assert snapshot(stack.warehouse_url) == before


def test_a_faulty_correction_is_rejected_and_the_accepted_month_stays(stack, year_2022):
    before = query(
        stack.warehouse_url,
        "SELECT kode_kabkota, current_batch_id FROM core.kabkota_month WHERE periode = '2022-12' ORDER BY 1",
    )
    demo.land_faulty_correction(stack.data_root)
    run = demo.run_correction(stack)
    assert run["state"] == "success", "a rejected extract does not fail the run"
    assert (
        query(
            stack.warehouse_url,
            "SELECT kode_kabkota, current_batch_id FROM core.kabkota_month WHERE periode = '2022-12' ORDER BY 1",
        )
        == before
    )
    rejected = query(stack.warehouse_url, "SELECT quarantine_key FROM raw.submission WHERE status = 'rejected'")
    assert len(rejected) == 1
    root = stack.data_root.removeprefix("file://")
    outbox = sorted(p.name for p in Path(root, "outbox").glob("*rejected*21.71*.txt"))
    assert outbox, "the rejection alert went to the outbox (no SMTP or webhook connection in this stack)"
    summary = "\n".join(demo.rejection_summary(stack))
    assert "nik_scientific_notation" in summary and "quarantine copy" in summary
    test_the_warehouse_reproduces_the_province_table_cell_by_cell(stack, year_2022)
