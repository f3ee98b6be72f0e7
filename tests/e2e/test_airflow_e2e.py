"""End to end: the twelve months of 2022 through the real Airflow scheduler, on a local folder and on S3.

Starts the same local stack as ``make demo`` (embedded PostgreSQL, Airflow scheduler, dag-processor,
api-server and triggerer) in a temporary folder, once with the landing area in a local folder and
once in an S3 bucket served over HTTP by moto, lands the synthetic Kepri 2022 extracts, backfills
2022 through the REST API, and checks the warehouse against the province's published 2022 table,
cell by cell. Then: one month run again changes nothing; a faulty correction is rejected while the
accepted month stays; a kab/kota that lands late is picked up by the deferred sensor in the real
triggerer before the deadline, while the ones that never send are alerted missing. Both data roots
must end with the same warehouse. On the local-folder stack, the Airflow UI is driven in Debian's Chromium
(``tests/e2e/browser.py``): the grid, the kab/kota-named branches, the rejected branch's log, no import
errors, and the status page plugin (refusing anonymous requests), with screenshots as test artefacts.

The two stacks also differ in how tasks run: the local folder on the LocalExecutor, S3 (what a
deployment without a shared disk needs anyway) on the CeleryExecutor with two workers on a broker
the test starts (Debian's redis-server), each worker in a folder of its own (AIRFLOW_HOME, TMPDIR,
working directory, task logs) and on an address of its own. The S3 stack proves both workers ran
task instances, that a worker's folder holds nothing but its own logs, and that the api-server
reads a Celery task's log from its worker's log server.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

import pytest
import requests

from bansos.domain.privacy import FULL_IDENTIFIER
from bansos.domain.storage import open_store
from bansos.publish import publication
from tests.conftest import KEY
from tests.e2e import browser
from tests.pipeline import query, snapshot
from tests.s3.landing import content_snapshot
from tests.s3.server import S3_ENV
from tools.devstack import airflow as airflow_proc
from tools.devstack import demo
from tools.devstack import stack as stack_mod

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
KABKOTA = ["21.72", "21.01", "21.71", "21.02", "21.04", "21.03", "21.05"]
CONTENT: dict[str, dict] = {}


# Both by default; BANSOS_E2E_DATA_ROOTS=local (or s3) runs one of them while working on the other.
DATA_ROOTS = os.environ.get("BANSOS_E2E_DATA_ROOTS", "local,s3").split(",")


@pytest.fixture(scope="module", params=DATA_ROOTS)
def stack(request, tmp_path_factory):
    state = tmp_path_factory.mktemp(f"stack_{request.param}")
    extra = {"BANSOS_PSEUDONYM_KEY": KEY.decode(), "BANSOS_LANDING_POKE_SECONDS": "5"}
    executor = {"executor": "LocalExecutor"}
    if request.param == "s3":
        s3 = request.getfixturevalue("s3_server")
        data_root = s3.root()
        extra |= S3_ENV | {"BANSOS_S3_ENDPOINT_URL": s3.endpoint_url}  # for every Airflow component
        executor = {"executor": "CeleryExecutor", "workers": 2}  # no shared disk: S3, and two workers
    else:
        data_root = (state / "data").as_uri()
    st = stack_mod.configure(state, port=airflow_proc.free_port(), data_root=data_root, extra=extra, **executor)
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
    assert query(stack.warehouse_url, "SELECT count(*) FROM core.kabkota_month")[0][0] == 12 * 7


def test_the_warehouse_reproduces_the_province_table_cell_by_cell(stack, year_2022):
    rows = query(
        stack.warehouse_url,
        "SELECT kode_program, coalesce(kode_kabkota, 'all'), kk_assisted, kk_sum_programmes "
        "FROM mart.distribution_summary WHERE province = '21' AND tahun = 2022 AND bulan IS NULL",
    )
    cells = {(p, k): kk for p, k, kk, _ in rows if p is not None}
    for programme, by_kabkota in SEED_2022.items():
        for kode in KABKOTA:
            assert cells.get((programme, kode), 0) == by_kabkota.get(kode, 0), (programme, kode)
    for programme, total in SEED_TOTALS.items():
        assert cells[(programme, "all")] == total, programme
    assert sum(v for (p, k), v in cells.items() if p == "KUBE" and k != "all") == 60
    (all_programmes,) = [(kk, kk_sum) for p, k, kk, kk_sum in rows if p is None and k == "all"]
    distinct_households, province_sum = all_programmes
    assert province_sum == KK_ALL_PROGRAMMES
    assert 0 < distinct_households < KK_ALL_PROGRAMMES


def test_running_a_month_again_leaves_the_warehouse_exactly_as_it_was(stack, year_2022):
    before = snapshot(stack.warehouse_url)
    api = stack.api()
    count = len(api.dag_runs(demo.DAG_ID))
    api.trigger(demo.DAG_ID, conf={"periode": "2022-06"}, run_id="rerun_2022_06")
    runs = api.wait_runs_finished(demo.DAG_ID, count + 1, timeout=600)
    assert [r["state"] for r in runs if r["dag_run_id"] == "rerun_2022_06"] == ["success"]
    assert snapshot(stack.warehouse_url) == before


def test_two_runs_of_one_month_at_once_leave_the_warehouse_as_one_run(stack, year_2022):
    """A manual run beside a scheduled one: both take May's new correction from Tanjungpinang at once.

    The correction holds the same rows in reverse order (so every published figure stays), as a new file:
    whatever the interleaving, it is loaded once, as one batch, with one set of rule results, its
    submission ends ``accepted``, the batch it replaces is kept as history, and no staging table is left.
    """
    periode, kode = "2022-05", "21.72"
    url = stack.warehouse_url
    month_sql = "SELECT kode_kabkota, current_batch_id FROM core.kabkota_month WHERE periode = %s ORDER BY 1"
    before = dict(query(url, month_sql, (periode,)))
    store = open_store(stack.data_root)
    (original,) = store.list(f"landing/21/{periode}/{kode}")
    with store.open(original.key) as fh:
        header, *rows = fh.read().decode("utf-8").splitlines(keepends=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp, "21", periode, kode)
        folder.mkdir(parents=True)
        (folder / "koreksi_tanjungpinang_mei2022.csv").write_text(header + "".join(reversed(rows)), encoding="utf-8")
        assert demo.land(stack.data_root, Path(tmp)) == 1
    api = stack.api()
    count = len(api.dag_runs(demo.DAG_ID))
    run_ids = ("twice_a_2022_05", "twice_b_2022_05")
    for run_id in run_ids:
        api.trigger(demo.DAG_ID, conf={"periode": periode}, run_id=run_id)
    runs = api.wait_runs_finished(demo.DAG_ID, count + 2, timeout=900)
    states = {r["dag_run_id"]: r["state"] for r in runs if r["dag_run_id"] in run_ids}
    assert states == dict.fromkeys(run_ids, "success")

    (submission_id, status), = query(
        url, "SELECT submission_id, status FROM raw.submission WHERE periode = %s AND kode_kabkota = %s "
        "AND source_uri LIKE %s", (periode, kode, "%koreksi_tanjungpinang_mei2022.csv"))
    assert status == "accepted"
    batches = query(url, "SELECT batch_id, row_count, superseded_at FROM core.load_batch WHERE submission_id = %s",
                    (submission_id,))
    assert len(batches) == 1 and batches[0][1] == len(rows) and batches[0][2] is None, batches
    after = dict(query(url, month_sql, (periode,)))
    assert after[kode] == batches[0][0]
    assert {k: v for k, v in after.items() if k != kode} == {k: v for k, v in before.items() if k != kode}
    replaced = query(url, "SELECT superseded_at IS NOT NULL FROM core.load_batch WHERE batch_id = %s", (before[kode],))
    assert replaced == [(True,)], "the replaced batch stays, as history"
    rule_sets = query(
        url, "SELECT rule, count(*) FROM dq.rule_result WHERE submission_id = %s GROUP BY 1", (submission_id,)
    )
    assert rule_sets and {n for _, n in rule_sets} == {1}, "one set of rule results, not one per run"
    assert query(url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'staging'") == [(0,)]
    test_the_warehouse_reproduces_the_province_table_cell_by_cell(stack, year_2022)


def test_a_faulty_correction_is_rejected_and_the_accepted_month_stays(stack, year_2022):
    sql = "SELECT kode_kabkota, current_batch_id FROM core.kabkota_month WHERE periode = '2022-12' ORDER BY 1"
    before = query(stack.warehouse_url, sql)
    demo.land_faulty_correction(stack.data_root)
    run = demo.run_correction(stack)
    assert run["state"] == "success", "a rejected extract does not fail the run"
    assert query(stack.warehouse_url, sql) == before
    assert len(query(stack.warehouse_url, "SELECT 1 FROM raw.submission WHERE status = 'rejected'")) == 1
    summary = "\n".join(demo.rejection_summary(stack))
    assert "nik_scientific_notation" in summary and "quarantine copy" in summary
    alerts = _outbox(stack, "rejected")
    assert alerts and alerts[-1]["kode_kabkota"] == "21.71"
    test_the_warehouse_reproduces_the_province_table_cell_by_cell(stack, year_2022)


STATUS_URL = "/bansos-status/"


@pytest.fixture(scope="module")
def ui(stack, year_2022, tmp_path_factory):
    """The Airflow UI signed in, in Debian's Chromium: on the local data root only (the UI does not depend
    on where the landing area is, and one browser run is enough for the two cores)."""
    if stack.data_root.startswith("s3://"):
        pytest.skip("the browser tests run on the local data-root stack only")
    if not browser.chromium_available():
        message = f"CHROMIUM NOT FOUND at {browser.CHROMIUM}: the Airflow UI browser tests DID NOT RUN"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    shots = tmp_path_factory.mktemp("ui_screenshots")
    with browser.airflow_ui(stack.ui_url, "admin", stack.admin_password, shots) as signed_in:
        yield signed_in


def test_the_ui_shows_the_grid_named_branches_and_no_import_errors(stack, year_2022, ui):
    assert stack.api().get("/importErrors")["total_entries"] == 0
    assert "Dag Import Error" not in ui.home_text()
    grid = ui.grid(demo.DAG_ID, "kabkota", "airflow-grid.png")
    for task in ("prepare", "extract [ ]", "validate [ ]", "merge [ ]", "integrity", "publish", "report"):
        assert task in grid, task
    # the correction run: every branch's extract ran, each named after its kab/kota (map_index_template)
    names = ui.mapped_names(demo.DAG_ID, demo.CORRECTION_RUN_ID, "kabkota.extract", len(KABKOTA),
                            "airflow-mapped-branches.png")
    assert sorted(names) == sorted(KABKOTA)


def test_the_ui_shows_why_the_correction_was_rejected_in_its_branch_log(stack, year_2022, ui):
    text = ui.task_log(demo.DAG_ID, demo.CORRECTION_RUN_ID, "kabkota.validate", KABKOTA.index("21.71"),
                       "nik_scientific_notation", "airflow-rejected-branch-log.png")
    assert "21.71" in text and "rejected: nik_scientific_notation" in text
    assert not FULL_IDENTIFIER.search(text), "no full NIK / No KK in the log"


def test_the_status_page_refuses_an_anonymous_request(stack, year_2022):
    url = stack.ui_url + STATUS_URL
    assert requests.get(url, timeout=30).status_code == 401
    to_login = requests.get(url, headers={"Accept": "text/html"}, allow_redirects=False, timeout=30)
    assert to_login.status_code == 303 and "/auth/login" in to_login.headers["location"]
    assert requests.get(url, headers={"Authorization": "Bearer forged"}, timeout=30).status_code == 403
    assert requests.get(url, cookies={"_token": "forged"}, timeout=30).status_code == 403
    for path in ("datadocs/1", "files/_assets/x.js"):
        assert requests.get(stack.ui_url + STATUS_URL + path, timeout=30).status_code == 401, path
    token = stack.api()._headers()
    page = requests.get(url, headers=token, timeout=30)
    assert page.status_code == 200 and 'class="matrix"' in page.text


def test_the_status_page_shows_completeness_and_the_rejected_correction(stack, year_2022, ui):
    frame = ui.status_page("airflow-status-page.png")
    html = frame.content()

    def status(kode, bulan):
        return frame.locator(f'tr[data-kabkota="{kode}"] td').nth(bulan - 1).get_attribute("data-status")

    for kode in KABKOTA:
        for bulan in range(1, 13):
            late = (kode, f"2022-{bulan:02d}") in demo.LATE_2022
            assert status(kode, bulan) == ("late" if late else "on_time"), (kode, bulan)
    batam_december = frame.locator('tr[data-kabkota="21.71"] td').nth(11)
    assert batam_december.locator(".mark").count() == 1, "a rejected later file is marked"
    row = frame.locator("table.failures tbody tr").first
    assert "nik_scientific_notation" in row.inner_text() and "21.71" in row.inner_text()
    links = {a.inner_text(): a.get_attribute("href") for a in row.locator("a").all()}
    run = f"/dags/{demo.DAG_ID}/runs/{demo.CORRECTION_RUN_ID}"
    assert links["run"] == run
    assert links["log"] == f"{run}/tasks/kabkota.validate/mapped/{KABKOTA.index('21.71')}"
    # personal data: no NIK / No KK, and none of the names the rejected file holds
    assert not FULL_IDENTIFIER.search(html)
    store = open_store(stack.data_root)
    (landed,) = [o for o in store.list("landing/21/2022-12/21.71") if "koreksi" in o.name]
    with store.open(landed.key) as fh:
        names = {r["nama"] for r in csv.DictReader(io.StringIO(fh.read().decode("utf-8")))}
    assert names and not any(n in html for n in names)
    # the run link opens the run in the UI; the Data Docs link the validation page, served behind the login
    ui.page.goto(stack.ui_url + links["run"])
    ui.page.get_by_text(demo.CORRECTION_RUN_ID).first.wait_for(timeout=browser.WAIT_MS)
    docs = ui.page.goto(stack.ui_url + links["Data Docs"])
    assert docs.ok and "/bansos-status/files/21/2022-12/21.71/" in ui.page.url
    ui.page.locator("h5", has_text="nik_scientific").first.wait_for(timeout=browser.WAIT_MS)  # the rule's column
    ui.screenshot("airflow-status-datadocs.png")


def test_a_late_kabkota_is_picked_up_before_the_deadline(stack, year_2022):
    """October 2023: only Batam's BLT file comes, after the run started; the others never do."""
    from tools.synthetic import write_batam_blt_2023

    api = stack.api()
    count = len(api.dag_runs(demo.DAG_ID))
    wait_until = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=120)).isoformat()
    api.trigger(demo.DAG_ID, conf={"periode": "2023-10", "wait_until": wait_until}, run_id="late_2023_10")
    _wait_for_deferred_sensor(api, "late_2023_10")
    with tempfile.TemporaryDirectory() as tmp:
        write_batam_blt_2023(Path(tmp))
        for later in ("2023-11", "2023-12"):
            shutil.rmtree(Path(tmp, "21", later))
        assert demo.land(stack.data_root, Path(tmp)) == 1
    runs = api.wait_runs_finished(demo.DAG_ID, count + 1, timeout=900)
    assert [r["state"] for r in runs if r["dag_run_id"] == "late_2023_10"] == ["success"]
    loaded = query(stack.warehouse_url, "SELECT kode_kabkota FROM core.kabkota_month WHERE periode = '2023-10'")
    assert loaded == [("21.71",)]
    blt = query(
        stack.warehouse_url,
        "SELECT kk_assisted, total_rupiah FROM mart.distribution_summary "
        "WHERE tahun = 2023 AND bulan = 10 AND kode_kabkota = '21.71' "
        "AND kode_program = 'BLT-EKSTREM'",
    )
    assert blt == [(53, 53_000_000)]
    arrived = api.get(
        f"/dags/{demo.DAG_ID}/dagRuns/late_2023_10/taskInstances/kabkota.extract/xcomEntries/return_value",
        map_index=KABKOTA.index("21.71"),
    )
    value = arrived["value"]
    found = json.loads(value) if isinstance(value, str) else value
    assert (found["waited"], found["action"], found["kode_kabkota"]) == ("arrived", "process", "21.71")
    missing = {a["kode_kabkota"] for a in _outbox(stack, "missing") if a["periode"] == "2023-10"}
    assert missing == set(KABKOTA) - {"21.71"}


def _wait_for_deferred_sensor(api, run_id: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tis = api.get(f"/dags/{demo.DAG_ID}/dagRuns/{run_id}/taskInstances", limit=100)["task_instances"]
        states = {t["state"] for t in tis if t["task_id"] == "kabkota.extract"}
        if "deferred" in states:
            return
        time.sleep(2)
    raise TimeoutError(f"no kabkota.extract deferred in {run_id}")


def _outbox(stack, kind: str) -> list[dict]:
    store = open_store(stack.data_root)
    alerts = []
    for obj in store.list("outbox"):
        if obj.name.endswith(".json") and f"_{kind}_" in obj.name:
            with store.open(obj.key) as fh:
                alerts.append(json.loads(fh.read()))
    return alerts


def test_the_publish_dag_runs_on_the_asset_events_and_exports(stack, year_2022):
    runs = demo.wait_for_publication(stack)
    assert runs and {r["state"] for r in runs} == {"success"}
    assert {r["run_type"] for r in runs} == {"asset_triggered"}, "triggered by the monthly runs' Asset events"
    published = publication.published(open_store(stack.data_root), "21", 2022)
    assert published is not None and published["reconciliation"]["ok"]
    store = open_store(stack.data_root)
    names = {o.name for o in store.list("publish/21/2022")}
    assert {"laporan.html", "manifest.json", "rekonsiliasi.csv"} <= names
    assert any(n.endswith(".xlsx") for n in names) and any(n.endswith(".parquet") for n in names)
    with store.open("publish/21/2022/laporan.html") as fh:
        html = fh.read().decode("utf-8")
    assert not FULL_IDENTIFIER.search(html)


def _celery_only(stack) -> None:
    if not stack.workers:
        pytest.skip("the local-folder stack runs the LocalExecutor")


def _task_instances(api) -> list[dict]:
    tis = []
    for run in api.dag_runs(demo.DAG_ID):
        path = f"/dags/{demo.DAG_ID}/dagRuns/{run['dag_run_id']}/taskInstances"
        tis += api.get(path, limit=1000)["task_instances"]
    return [t for t in tis if t["hostname"]]  # those a worker ran: finished, failed, or skipped by their own code


def test_both_celery_workers_ran_task_instances_and_handed_work_to_each_other(stack, year_2022):
    """Each task instance records the worker that ran it: both workers ran some, and in some kab/kota
    branch one worker's task read what the other's wrote (through S3 and the warehouse, no shared disk)."""
    _celery_only(stack)
    tis = _task_instances(stack.api())
    workers = {airflow_proc.worker_address(i) for i in range(1, stack.workers + 1)}
    by_host: dict[str, int] = {}
    for t in tis:
        by_host[t["hostname"]] = by_host.get(t["hostname"], 0) + 1
    assert set(by_host) == workers, f"task instances by hostname: {by_host}"
    assert {t["queue"] for t in tis} == {"default"}
    branches: dict[tuple, set] = {}
    for t in tis:
        if t["task_id"].startswith("kabkota."):
            branches.setdefault((t["dag_run_id"], t["map_index"]), set()).add(t["hostname"])
    assert any(len(hosts) == 2 for hosts in branches.values()), "no branch ran on both workers"


def test_a_celery_workers_folder_holds_only_its_own_logs(stack, year_2022):
    """What a worker leaves on its disk: the logs of the task instances it ran, nothing another needs.

    A task instance's last attempt has its log on the worker it names; an earlier attempt, or the part
    of a deferred attempt before the triggerer handed it back, may be on the other worker.
    """
    _celery_only(stack)
    tis = _task_instances(stack.api())
    latest = {(t["dag_run_id"], t["task_id"], t["map_index"]): t["try_number"] for t in tis}
    for index in range(1, stack.workers + 1):
        root = airflow_proc.worker_dir(stack.state_dir, index)
        logs = root / "airflow" / "logs"
        ran = {
            (t["dag_run_id"], t["task_id"], t["map_index"], t["try_number"])
            for t in tis
            if t["hostname"] == airflow_proc.worker_address(index)
        }
        kept = set()
        others = []
        for path in root.rglob("*"):
            if not path.is_file():
                continue
            rel = path.relative_to(root)
            if logs in path.parents:
                parts = dict(p.split("=", 1) for p in path.relative_to(logs).parts[:-1] if "=" in p)
                attempt_log = re.fullmatch(r"attempt=(\d+)\.log", path.name)
                if attempt_log and parts.get("dag_id") == demo.DAG_ID:
                    map_index = int(parts.get("map_index", -1))
                    attempt = int(attempt_log.group(1))
                    kept.add((parts["run_id"], parts["task_id"], map_index, attempt))
                continue
            if rel.parts[0] == "site" or rel.as_posix() == "airflow/airflow.cfg":
                continue
            if any(p.startswith("_jinja2-cache") or p == "__pycache__" for p in rel.parts):
                continue
            others.append(rel.as_posix())
        assert not others, f"worker {index} left files outside its logs: {sorted(others)[:20]}"
        assert ran and ran <= kept, f"worker {index}: logs missing of {sorted(ran - kept)[:5]}"
        strangers = {k for k in kept if not 1 <= k[3] <= latest.get(k[:3], 0)}
        assert not strangers, f"worker {index}: logs of no task instance of this stack: {sorted(strangers)[:5]}"


def test_the_log_of_a_celery_task_is_read_from_its_worker_through_the_rest_api(stack, year_2022):
    """No shared disk: the api-server has no copy of the log and asks the worker's log server."""
    _celery_only(stack)
    import requests

    api = stack.api()
    run = api.dag_runs(demo.DAG_ID)[0]  # January 2022
    path = f"/dags/{demo.DAG_ID}/dagRuns/{run['dag_run_id']}/taskInstances"
    merges = [t for t in api.get(path, limit=100)["task_instances"] if t["task_id"] == "kabkota.merge"]
    assert {t["hostname"] for t in merges} <= {airflow_proc.worker_address(i) for i in (1, 2)}
    for ti in merges:
        r = requests.get(
            f"{api.base_url}/api/v2{path}/kabkota.merge/logs/{ti['try_number']}",
            params={"map_index": ti["map_index"]},
            headers=api._headers() | {"Accept": "application/json"},
            timeout=60,
        )
        assert r.status_code == 200, r.text[:300]
        events = [e.get("event", "") for e in r.json()["content"]]
        port = stack.env["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"]
        assert any(e.startswith(f"http://{ti['hostname']}:{port}/log/") for e in events), events[:5]
        assert any(" batch " in e and " loaded (" in e for e in events), "the task's own lines"
    own = Path(stack.env["AIRFLOW__LOGGING__BASE_LOG_FOLDER"])  # shared with the triggerer: its trigger logs
    held = [p for p in own.glob(f"dag_id={demo.DAG_ID}/**/attempt=*") if re.fullmatch(r"attempt=\d+\.log", p.name)]
    assert not held, f"the api-server holds task logs: {held[:3]}"


def test_the_warehouse_is_recorded_for_the_comparison_of_the_data_roots(stack, year_2022, request):
    """The last test of each data root (pytest keeps file order inside a parameter's group)."""
    content = content_snapshot(stack.warehouse_url)
    assert len(content["kabkota_month"]) == 12 * 7 + 1, "2022 for every kab/kota, and the late October 2023"
    assert {row[6] for row in content["submission"]} >= {"accepted", "rejected"}
    CONTENT[request.node.callspec.params["stack"]] = content


def test_local_executor_on_a_folder_and_celery_on_s3_give_the_same_warehouse():
    """LocalExecutor + local folder against CeleryExecutor with two workers + S3, table by table.

    Runs after the parametrised tests (pytest puts the unparametrised last): both have recorded.
    """
    if set(DATA_ROOTS) != {"local", "s3"}:
        pytest.skip("needs both data roots: BANSOS_E2E_DATA_ROOTS=local,s3")
    assert set(CONTENT) == {"local", "s3"}, f"only {sorted(CONTENT)} ran to the end"
    assert CONTENT["s3"].keys() == CONTENT["local"].keys()
    # table by table, naming the tables that differ (a diff of 150,000 rows would take pytest hours)
    differ = {name: (len(CONTENT["local"][name]), len(CONTENT["s3"][name]))
              for name in CONTENT["local"] if CONTENT["local"][name] != CONTENT["s3"][name]}
    assert not differ, (
        "tables that differ (rows with the LocalExecutor on the folder, with Celery's two workers on S3): "
        f"{differ}"
    )


# --- The province signs its months (issue 13), answered through REST API v2 as a data engineer would. On the
# local-folder stack only (approving does not depend on where the landing area is), after the warehouse was
# recorded for the comparison of the data roots. Each monthly run of the backfill started its month's run of
# bansos_approval_21, which waits in awaiting_input (the monthly runs all succeeded meanwhile).

def _approval_stack(stack) -> None:
    if stack.data_root.startswith("s3://"):
        pytest.skip("approval does not depend on the data root: checked on the local-folder stack")


def _waiting_request(stack, periode: str, timeout: float = 300) -> dict:
    """The waiting approval request the backfill's run of ``periode`` started."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for detail in stack.api().hitl_details(demo.APPROVAL_DAG_ID, response_received=False):
            ti = detail["task_instance"]
            if demo.periode_of(ti["dag_run_id"]) == periode and ti["state"] == "awaiting_input":
                return detail
        time.sleep(2)
    raise TimeoutError(f"no approval request waiting for {periode}")


def _month_approval(stack, periode: str) -> dict[str, tuple[str, bool]]:
    rows = query(stack.warehouse_url, "SELECT kode_kabkota, status, locked FROM core.kabkota_month_approval "
                 "WHERE province = '21' AND periode = %s", (periode,))
    return {kode: (status, locked) for kode, status, locked in rows}


def _mart_status(stack, periode: str) -> dict[str, set[str]]:
    """The approval_status of the month's rows of mart.distribution_summary, per kab/kota."""
    rows = query(stack.warehouse_url, "SELECT DISTINCT kode_kabkota, approval_status FROM mart.distribution_summary "
                 "WHERE province = '21' AND tahun = %s AND bulan = %s AND kode_kabkota IS NOT NULL",
                 (int(periode[:4]), int(periode[5:])))
    out: dict[str, set[str]] = {}
    for kode, status in rows:
        out.setdefault(kode, set()).add(status)
    return out


def _year_provisional(stack) -> tuple[str, int]:
    """The yearly headline row: its approval_status and how many kab/kota-months it counts are not final."""
    [(status, provisional)] = query(
        stack.warehouse_url, "SELECT approval_status, provisional_months FROM mart.distribution_summary "
        "WHERE province = '21' AND tahun = 2022 AND bulan IS NULL AND kode_kabkota IS NULL AND kode_program IS NULL")
    return status, provisional


def _history(stack, periode: str) -> list[tuple]:
    return query(stack.warehouse_url, "SELECT decision, held, reason, decided_by, source, run_id, batch_ids "
                 "FROM core.approval WHERE province = '21' AND periode = %s ORDER BY approval_id", (periode,))


def _current_batches(stack, periode: str, without=()) -> list[int]:
    rows = query(stack.warehouse_url, "SELECT kode_kabkota, current_batch_id FROM core.kabkota_month "
                 "WHERE province = '21' AND periode = %s", (periode,))
    return sorted(batch for kode, batch in rows if kode not in without)


def test_approval_a_month_approved_through_rest_is_final_and_locked(stack, year_2022):
    from bansos.orchestration.answers import APPROVE_ALL

    _approval_stack(stack)
    detail = _waiting_request(stack, "2022-01")
    assert "2022-01" in detail["subject"]
    for kode in KABKOTA:
        assert f"| {kode} " in detail["body"], "the request shows every kab/kota"
    assert not FULL_IDENTIFIER.search(detail["body"])
    assert detail["options"] == ["Setujui semua (approve all)", "Setujui, tahan sebagian kab/kota (approve with held)",
                                 "Tolak (reject)"]
    _, provisional_before = _year_provisional(stack)
    run_id = detail["task_instance"]["dag_run_id"]
    demo.answer(stack, run_id, APPROVE_ALL)
    assert stack.api().wait_run(demo.APPROVAL_DAG_ID, run_id, timeout=300)["state"] == "success"
    assert _history(stack, "2022-01") == [
        ("approved", [], "", "admin", "rest", run_id, _current_batches(stack, "2022-01"))]
    assert _month_approval(stack, "2022-01") == dict.fromkeys(KABKOTA, ("final", True))
    assert _mart_status(stack, "2022-01") == {kode: {"final"} for kode in KABKOTA}
    assert _year_provisional(stack) == ("provisional", provisional_before - 7), "the year counts one month fewer"
    with pytest.raises(requests.HTTPError) as second:  # one answer per request
        demo.answer(stack, run_id, APPROVE_ALL)
    assert second.value.response.status_code == 409


def test_approval_a_month_approved_with_a_kabkota_held_back(stack, year_2022):
    from bansos.orchestration.answers import APPROVE_WITH_HELD

    _approval_stack(stack)
    run_id = _waiting_request(stack, "2022-02")["task_instance"]["dag_run_id"]
    _, provisional_before = _year_provisional(stack)
    reason = "Anambas terlambat, angka diklarifikasi (late, being clarified)"
    demo.answer(stack, run_id, APPROVE_WITH_HELD, held=["21.05"], reason=reason)
    assert stack.api().wait_run(demo.APPROVAL_DAG_ID, run_id, timeout=300)["state"] == "success"
    assert _history(stack, "2022-02") == [("approved_with_held", ["21.05"], reason, "admin", "rest", run_id,
                                           _current_batches(stack, "2022-02", without=("21.05",)))]
    states = _month_approval(stack, "2022-02")
    assert states.pop("21.05") == ("held", False)
    assert states == dict.fromkeys(set(KABKOTA) - {"21.05"}, ("final", True))
    marts = _mart_status(stack, "2022-02")
    assert marts.pop("21.05") == {"provisional"}
    assert marts == {kode: {"final"} for kode in set(KABKOTA) - {"21.05"}}
    assert _year_provisional(stack) == ("provisional", provisional_before - 6)


def test_approval_a_rejected_month_stays_provisional(stack, year_2022):
    from bansos.orchestration.answers import REJECT

    _approval_stack(stack)
    run_id = _waiting_request(stack, "2022-03")["task_instance"]["dag_run_id"]
    _, provisional_before = _year_provisional(stack)
    reason = "Rupiah BSKK Bintan tidak cocok dengan SP2D (does not match the payment orders)"
    demo.answer(stack, run_id, REJECT, reason=reason)
    assert stack.api().wait_run(demo.APPROVAL_DAG_ID, run_id, timeout=300)["state"] == "success"
    assert _history(stack, "2022-03") == [
        ("rejected", [], reason, "admin", "rest", run_id, _current_batches(stack, "2022-03"))]
    assert _month_approval(stack, "2022-03") == dict.fromkeys(KABKOTA, ("provisional", False))
    assert _mart_status(stack, "2022-03") == {kode: {"provisional"} for kode in KABKOTA}
    assert _year_provisional(stack) == ("provisional", provisional_before)


def test_approval_not_answered_in_time_is_alerted_and_never_approved(stack, year_2022):
    _approval_stack(stack)
    api = stack.api()
    run_id = "timeout_2022_04"
    api.trigger(demo.APPROVAL_DAG_ID, conf={"periode": "2022-04", "response_timeout_seconds": 5}, run_id=run_id)
    run = api.wait_run(demo.APPROVAL_DAG_ID, run_id, timeout=300)
    assert run["state"] == "failed", "a month nobody answered is not approved"
    tis = {t["task_id"]: t["state"] for t in api.get(
        f"/dags/{demo.APPROVAL_DAG_ID}/dagRuns/{run_id}/taskInstances")["task_instances"]}
    assert tis == {"request": "success", "approve": "failed", "record": "upstream_failed",
                   "refresh": "upstream_failed"}
    assert _history(stack, "2022-04") == []
    assert _month_approval(stack, "2022-04") == dict.fromkeys(KABKOTA, ("provisional", False))
    alerts = [a for a in _outbox(stack, "approval-overdue") if a["periode"] == "2022-04"]  # "_" is "-" in names
    assert len(alerts) == 1 and alerts[0]["kind"] == "approval_overdue"
    assert [r["rule"] for r in alerts[0]["rules"]] == ["approval_timeout"]
    assert any(run_id in url for url in alerts[0]["links"].values()), "the alert links the waiting run"


def test_approval_a_correction_for_a_locked_month_is_held_then_merged_after_an_unlock(stack, year_2022):
    """January (approved above): Tanjungpinang corrects one name (same figures, other bytes). The month's run
    holds it; the CLI unlocks the kab/kota; the next run merges it and asks again; REST approves again."""
    from bansos.orchestration.answers import APPROVE_ALL

    _approval_stack(stack)
    periode, kode = "2022-01", "21.72"
    assert _month_approval(stack, periode)[kode] == ("final", True)
    approved_batch = _current_batches(stack, periode)
    assert demo.land_valid_correction(stack.data_root, periode, kode, name="koreksi_nama_jan2022.csv") == 1

    held_run = demo.run_month(stack, periode, "locked_2022_01")
    assert held_run["state"] == "success", "a held correction is not a failure"
    [held] = demo.held_submissions(stack, periode, kode)
    assert _current_batches(stack, periode) == approved_batch, "the approved batch stays loaded"
    assert _month_approval(stack, periode) == dict.fromkeys(KABKOTA, ("final", True))
    [alert] = [a for a in _outbox(stack, "held") if a["periode"] == periode]
    assert alert["kode_kabkota"] == kode and "koreksi_nama" not in json.dumps(alert)
    asked = stack.api().wait_run(demo.APPROVAL_DAG_ID, f"approval__{periode}__locked_2022_01", timeout=300)
    assert asked["state"] == "success"  # nothing new to sign: its request step skipped the rest
    assert len(_history(stack, periode)) == 1

    out = demo.approve_cli(stack, "unlock", "--province", "21", "--periode", periode, "--kabkota", kode,
                           "--reason", "koreksi nama", "--who", "kabid.datin")
    assert f"submission {held}" in out
    assert _month_approval(stack, periode)[kode] == ("provisional", False)

    merged_run = demo.run_month(stack, periode, "unlocked_2022_01")
    assert merged_run["state"] == "success"
    assert demo.held_submissions(stack, periode, kode) == []
    [(status, batch)] = query(stack.warehouse_url, "SELECT s.status, b.batch_id FROM raw.submission s "
                              "JOIN core.load_batch b USING (submission_id) WHERE s.submission_id = %s", (held,))
    assert status == "accepted" and batch in _current_batches(stack, periode)
    assert _month_approval(stack, periode)[kode] == ("provisional", False), "approval needed again"

    run_id = f"approval__{periode}__unlocked_2022_01"
    stack.api().wait_hitl_waiting(demo.APPROVAL_DAG_ID, 1, timeout=300, run_ids={run_id})
    demo.answer(stack, run_id, APPROVE_ALL)
    assert stack.api().wait_run(demo.APPROVAL_DAG_ID, run_id, timeout=300)["state"] == "success"
    decisions = [(d, who, source) for d, _held, _reason, who, source, _run, _batches in _history(stack, periode)]
    assert decisions == [("approved", "admin", "rest"), ("unlocked", "kabid.datin", "cli"),
                         ("approved", "admin", "rest")]
    assert _month_approval(stack, periode) == dict.fromkeys(KABKOTA, ("final", True))
    assert _mart_status(stack, periode) == {k: {"final"} for k in KABKOTA}
    test_the_warehouse_reproduces_the_province_table_cell_by_cell(stack, year_2022)
