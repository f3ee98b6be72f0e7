"""The status page's module on its own, without Airflow: real branches through the real steps into a real
warehouse, the marts refreshed, then the page's queries, links and HTML.

March 2022: Tanjungpinang sends on time, Bintan after the deadline, Batam a file with NIKs cut short
(rejected); the other four send nothing. The page must show each state in its cell, Batam's failed rule
with its count and links, escape whatever it shows, and hold no NIK, No KK or name.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bansos.domain.privacy import FULL_IDENTIFIER
from bansos.domain.storage import open_store
from bansos.publish import marts, status
from tests.conftest import pipeline_env
from tests.pipeline import KABKOTA, land, run_branch, source_file
from tools.synthetic.defects import make_defective

PERIODE, BULAN = "2022-03", 3
WIB = ZoneInfo("Asia/Jakarta")


@pytest.fixture(scope="module")
def month(pg_base, tmp_path_factory, kepri2022):
    with pipeline_env(pg_base, tmp_path_factory, "status") as pipeline:
        pipeline.mp.setenv("BANSOS_ALERT_OUTBOX", str(pipeline.root / "outbox"))
        for name in ("AIRFLOW_CONN_SMTP_DEFAULT", "AIRFLOW_CONN_SLACK_WEBHOOK_DEFAULT"):
            pipeline.mp.delenv(name, raising=False)
        on_time = datetime(2022, 4, 5, 9, tzinfo=WIB).timestamp()
        late = datetime(2022, 4, 20, 9, tzinfo=WIB).timestamp()
        land(pipeline.root, kepri2022, PERIODE, "21.72", mtime=on_time)
        land(pipeline.root, kepri2022, PERIODE, "21.01", mtime=late)
        data, suffix = make_defective("nik_short", source_file(kepri2022, PERIODE, "21.71").read_bytes(), "21.71")
        land(pipeline.root, kepri2022, PERIODE, "21.71", name=f"koreksi{suffix}", content=data, mtime=on_time)
        results = {kode: run_branch(PERIODE, kode, run_id=f"manual__status<{kode}>") for kode in ("21.72", "21.01",
                                                                                                  "21.71")}
        assert [r["action"] for r in results.values()] == ["loaded", "loaded", "rejected"], results
        marts.refresh_all(pipeline.dsn, "21", 2022, as_of=datetime(2022, 6, 1, tzinfo=WIB))
        names = {row["nama"] for row in csv.DictReader(io.StringIO(data.decode("utf-8")))}
        yield {"dsn": pipeline.dsn, "root": pipeline.root, "results": results, "names": names}


def test_the_matrix_holds_each_kabkota_month_state(month):
    matrix = status.completeness(month["dsn"], "21", 2022)
    assert [kode for kode, _ in matrix.kabkota] == KABKOTA
    states = {kode: matrix.cells[(kode, BULAN)].status for kode in KABKOTA}
    assert states == {"21.72": "on_time", "21.01": "late", "21.71": "rejected",
                      "21.02": "missing", "21.04": "missing", "21.03": "missing", "21.05": "missing"}
    assert matrix.cells[("21.72", 6)].status == "not_due"
    assert matrix.cells[("21.01", BULAN)].days_late > 0
    assert status.years(month["dsn"], "21") == [2022]


def test_the_failures_name_the_rule_its_count_and_the_run(month):
    (failure,) = status.failures(month["dsn"], "21")
    rejected = month["results"]["21.71"]
    assert (failure.submission_id, failure.kode_kabkota, failure.periode, failure.status) == (
        rejected["submission_id"], "21.71", PERIODE, "rejected")
    assert failure.run_id == "manual__status<21.71>"
    rules = {r["rule"]: r for r in failure.rules}
    assert rules["nik_format"]["severity"] == "error" and rules["nik_format"]["count"] > 0


def test_the_links_go_to_the_run_the_branch_log_and_the_data_docs(month):
    links = status.Links(ui="/airflow", page="/airflow/bansos-status")
    run_id = "manual__status<21.71>"
    assert links.run("21", run_id) == "/airflow/dags/bansos_monthly_21/runs/manual__status%3C21.71%3E"
    assert links.log("21", run_id, "21.71") == (
        "/airflow/dags/bansos_monthly_21/runs/manual__status%3C21.71%3E/tasks/kabkota.validate/mapped/2")
    assert links.datadocs(42) == "/airflow/bansos-status/datadocs/42"
    key = status.datadocs_page(month["dsn"], open_store(month["root"].as_uri()),
                               month["results"]["21.71"]["submission_id"])
    assert key and key.startswith("datadocs/21/2022-03/21.71/submission_") and key.endswith(".html")
    assert (month["root"] / key).is_file()
    assert status.datadocs_page(month["dsn"], open_store(month["root"].as_uri()), 999_999) is None


def test_the_page_shows_states_and_failures_escaped_and_without_personal_data(month):
    page = status.page(month["dsn"], ["21"], status.Links())
    assert 'data-kabkota="21.71"' in page and 'data-status="rejected"' in page and 'data-status="late"' in page
    assert "nik_format" in page and "awaiting approval" in page
    assert "manual__status&lt;21.71&gt;" not in page, "the run id is in the links, URL-quoted"
    assert "/dags/bansos_monthly_21/runs/manual__status%3C21.71%3E" in page
    assert not FULL_IDENTIFIER.search(page)
    assert month["names"] and not any(name in page for name in month["names"])


def test_whatever_the_page_shows_is_escaped():
    hostile = '<script>alert("x")</script>'
    failure = status.Failure(1, hostile, "2022-03", "21.71", hostile, hostile,
                             [{"rule": hostile, "severity": "error", "count": 1, "of": 2}], hostile)
    matrix = status.Matrix("21", 2022, hostile, [("21.71", hostile)],
                           {("21.71", 3): status.Cell(hostile, hostile, None, 1, 0, None)})
    page = status.render_page([("21", hostile, matrix, [failure])], status.Links())
    assert "<script>" not in page and "&lt;script&gt;" in page


@pytest.mark.parametrize(("path", "key"), [
    ("21/2022-03/21.71/submission_4/validations/x.html", "datadocs/21/2022-03/21.71/submission_4/validations/x.html"),
    ("_assets/bootstrap-4.3.1/css/bootstrap.min.css", "datadocs/_assets/bootstrap-4.3.1/css/bootstrap.min.css"),
    ("../outbox/alert.json", None),
    ("21/../../quarantine/x.csv", None),
    ("/etc/passwd", None),
    ("", None),
    ("a/./b", None),
    ("a\\..\\b", None),
])
def test_only_files_of_the_data_docs_site_are_served(path, key):
    assert status.datadocs_key(path) == key
