"""Waiting for late kab/kota: the trigger's async loop run for real (no triggerer), and the sensor's paths.

The trigger polls a real store (a temporary folder, or the moto bucket over HTTP) while another
thread lands the file a second later, as a kab/kota office would; the sensor is called the way the
task runner calls it: ``execute`` returns at once or raises ``TaskDeferred`` with the trigger.
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from airflow.sdk.exceptions import AirflowSkipException, TaskDeferred

from bansos.domain.config import load_province
from bansos.domain.storage import open_store
from bansos.orchestration import steps
from bansos.orchestration.waiting import LandingExtract, LandingSensor, LandingTrigger, deadline_for, landed, status_now
from tests.pipeline import land, query, run_branch, source_file
from tests.s3.landing import land_s3

PROVINCE = load_province("21")


def run_trigger(trigger: LandingTrigger, timeout: float = 60) -> list[dict]:
    """Drive the trigger's run() like the triggerer does, collecting the events it yields."""

    async def collect():
        return [event.payload async for event in trigger.run()]

    return asyncio.run(asyncio.wait_for(collect(), timeout))


# A file lands (or a deadline passes) this long after the trigger starts: several of its polls later (they are
# 0.1 to 0.25 s apart here), and short, since each test waits it out.
LANDS_AFTER = 0.4


def later(seconds: float, action) -> threading.Thread:
    thread = threading.Thread(target=lambda: (time.sleep(seconds), action()), daemon=True)
    thread.start()
    return thread


@pytest.fixture(params=["local", "s3"])
def root(request, tmp_path) -> str:
    if request.param == "local":
        return (tmp_path / "data").as_uri()
    return request.getfixturevalue("s3_server").root()


def test_the_deadline_is_the_end_of_the_deadline_day_in_the_province_timezone(tmp_path):
    deadline = deadline_for(PROVINCE, "2022-03")  # 10 April 2022, 23:59:59.999999 WIB
    assert deadline.date() == date(2022, 4, 10)
    assert deadline.astimezone(UTC) + timedelta(microseconds=1) == datetime(2022, 4, 10, 17, 0, tzinfo=UTC)
    assert deadline_for(PROVINCE, "2022-12").date() == date(2023, 1, 10)
    store = open_store((tmp_path / "data").as_uri())
    assert status_now(store, "21", "2022-03", "21.05", deadline, now=deadline) is None
    assert status_now(store, "21", "2022-03", "21.05", deadline, now=deadline + timedelta(seconds=1)) \
        == "deadline"


def test_landed_sees_only_files_the_extract_would_take(root):
    store = open_store(root)
    assert not landed(store, "21", "2022-03", "21.05")
    store.put_bytes("landing/21/2022-03/21.05/.upload.csv.part", b"half")
    store.put_bytes("landing/21/2022-03/21.05/Thumbs.db", b"\xd0\xcf\x11\xe0")
    store.put_bytes("landing/21/2022-03/21.05/~$penyaluran.xlsx", b"\x0coperator")
    assert not landed(store, "21", "2022-03", "21.05"), "a spool and litter are no submission"
    store.put_bytes("landing/21/2022-03/21.05/penyaluran.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
    assert landed(store, "21", "2022-03", "21.05"), "a file in a format not read is answered: it has landed"


def test_the_trigger_fires_for_a_txt(root):
    """Excel's "Unicode Text" is saved as .txt: the kab/kota sent something, so the wait ends and it is answered."""
    trigger = LandingTrigger(root, "21", "2022-03", "21.05",
                             (datetime.now(UTC) + timedelta(seconds=30)).isoformat(), poke_interval=0.2)
    store = open_store(root)
    store.put_bytes("landing/21/2022-03/21.05/desktop.ini", b"[.ShellClassInfo]\r\n")
    later(LANDS_AFTER, lambda: store.put_bytes("landing/21/2022-03/21.05/penyaluran.txt",
                                               b"\xff\xfe" + "periode\tnik\r\n".encode("utf-16-le")))
    started = time.monotonic()
    assert [e["status"] for e in run_trigger(trigger)] == ["arrived"]
    assert LANDS_AFTER - 0.05 < time.monotonic() - started < 10, "not before the .txt landed: desktop.ini is litter"


def test_the_trigger_fires_when_a_late_file_lands(root):
    trigger = LandingTrigger(root, "21", "2022-03", "21.05",
                             (datetime.now(UTC) + timedelta(seconds=30)).isoformat(), poke_interval=0.2)
    classpath, kwargs = trigger.serialize()
    assert classpath == "bansos.orchestration.waiting.LandingTrigger"
    from bansos.waiting import LandingTrigger as stored_before_the_move
    assert stored_before_the_move is LandingTrigger, "deferred tasks stored with the old classpath still load"
    rebuilt = LandingTrigger(**kwargs).serialize()
    assert rebuilt == (classpath, kwargs), "the triggerer rebuilds it from its kwargs"
    store = open_store(root)
    later(LANDS_AFTER, lambda: store.put_bytes("landing/21/2022-03/21.05/late.csv", b"periode\n"))
    started = time.monotonic()
    events = run_trigger(trigger)
    assert events == [{"status": "arrived", "province": "21", "periode": "2022-03", "kode_kabkota": "21.05",
                       "deadline": kwargs["deadline_iso"]}]
    assert LANDS_AFTER - 0.05 < time.monotonic() - started < 10


def test_the_trigger_gives_up_at_the_deadline_without_failing(root):
    deadline = datetime.now(UTC) + timedelta(seconds=LANDS_AFTER)
    started = time.monotonic()
    trigger = LandingTrigger(root, "21", "2022-03", "21.05", deadline.isoformat(), poke_interval=5)
    events = run_trigger(trigger)
    assert [e["status"] for e in events] == ["deadline"]
    assert time.monotonic() - started < 4, "it sleeps no longer than the time left"


def test_the_trigger_keeps_polling_while_the_store_is_unreachable(monkeypatch, tmp_path):
    from bansos.orchestration import waiting

    attempts = []

    def flaky(data_root):
        attempts.append(data_root)
        if len(attempts) < 3:
            raise ConnectionError("s3 endpoint not answering")
        return open_store(data_root)

    monkeypatch.setattr(waiting, "_store", flaky)
    root = (tmp_path / "data").as_uri()
    open_store(root).put_bytes("landing/21/2022-03/21.05/f.csv", b"x")
    deadline = (datetime.now(UTC) + timedelta(seconds=30)).isoformat()
    events = run_trigger(LandingTrigger(root, "21", "2022-03", "21.05", deadline, poke_interval=0.1))
    assert [e["status"] for e in events] == ["arrived"] and len(attempts) == 3


def sensor(root: str, periode: str, kode: str = "21.05", **kwargs) -> LandingSensor:
    return LandingSensor(task_id=f"wait_{kode}", province="21", periode=periode, kode_kabkota=kode,
                         data_root=root, poke_interval=0.2, **kwargs)


def test_the_sensor_returns_at_once_when_the_file_is_there(root):
    open_store(root).put_bytes("landing/21/2022-03/21.05/f.csv", b"x")
    assert sensor(root, "2022-03").execute({}) == "arrived"


def test_the_sensor_returns_deadline_at_once_for_a_month_long_past(root):
    assert sensor(root, "2022-03").execute({}) == "deadline"


def test_the_sensor_defers_to_the_trigger_before_the_deadline(root):
    periode = datetime.now(UTC).strftime("%Y-%m")  # its deadline is next month
    with pytest.raises(TaskDeferred) as deferred:
        sensor(root, periode).execute({})
    trigger = deferred.value.trigger
    assert isinstance(trigger, LandingTrigger) and deferred.value.method_name == "execute_complete"
    assert trigger.serialize()[1] == {"data_root": root, "province": "21", "periode": periode,
                                      "kode_kabkota": "21.05",
                                      "deadline_iso": deadline_for(PROVINCE, periode).isoformat(),
                                      "poke_interval": 0.2}
    assert deferred.value.timeout is None, "a deadline is an answer, never a timeout failure"
    assert sensor(root, periode).execute_complete({"run_id": "t"}, {"status": "arrived"}) == "arrived"
    assert sensor(root, periode).execute_complete({}, {"status": "deadline"}) == "deadline"


def test_a_manual_wait_until_replaces_the_province_deadline(root):
    until = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)
    with pytest.raises(TaskDeferred) as deferred:
        sensor(root, "2022-03", wait_until=until.isoformat()).execute({})
    assert deferred.value.trigger.serialize()[1]["deadline_iso"] == until.isoformat()
    assert sensor(root, "2022-03", wait_until="None").execute({}) == "deadline", "an unset param renders 'None'"
    assert sensor(root, "2022-03", wait_until="2022-04-20T12:00:00").execute({}) == "deadline"


def test_the_sensor_without_a_triggerer_pokes_in_reschedule_mode(root):
    s = sensor(root, "2022-03", deferrable=False)
    assert s.mode == "reschedule"
    open_store(root).put_bytes("landing/21/2022-03/21.05/f.csv", b"x")
    assert s.poke({}).xcom_value == "arrived"


def test_a_late_kabkota_on_s3_is_picked_up_before_the_deadline_and_loaded(s3_runtime_env, kepri2022):
    """The monthly flow on S3: 21.05 is missing when the run starts, lands a moment later, is loaded."""
    root, s3 = s3_runtime_env["root"], s3_runtime_env["s3"]
    steps.prepare_warehouse("21")
    deadline = (datetime.now(UTC) + timedelta(seconds=30)).isoformat()
    assert not landed(open_store(root), "21", "2022-03", "21.05")
    later(LANDS_AFTER, lambda: land_s3(s3, root, kepri2022, "2022-03", "21.05"))
    events = run_trigger(LandingTrigger(root, "21", "2022-03", "21.05", deadline, poke_interval=0.25))
    assert events[0]["status"] == "arrived"
    loaded = run_branch("2022-03", "21.05")
    assert loaded["action"] == "loaded"
    assert loaded["rows"] == len(source_file(kepri2022, "2022-03", "21.05").read_text().splitlines()) - 1
    assert steps.report("21", "2022-03")["21.05"] == "loaded"


def test_a_kabkota_still_missing_at_the_deadline_goes_on_and_is_reported_missing(runtime_env, kepri2022):
    steps.prepare_warehouse("21")
    land(runtime_env["root"], kepri2022, "2022-03", "21.03")
    root = runtime_env["root"].as_uri()
    assert sensor(root, "2022-03", "21.03").execute({}) == "arrived"
    assert sensor(root, "2022-03", "21.05").execute({}) == "deadline"
    assert run_branch("2022-03", "21.05")["action"] == "missing"
    assert steps.report("21", "2022-03")["21.05"] == "missing"


def extract_task(periode: str, kode: str) -> LandingExtract:
    """The branch's first task as the DAG builds it (the data root from the workers' environment)."""
    return LandingExtract(task_id=f"extract_{kode}", province="21", periode=periode, kode_kabkota=kode,
                          poke_interval=0.2)


def test_the_extract_task_takes_a_landed_file_at_once_stages_it_and_hands_on_its_reference(
        runtime_env, kepri2022):
    steps.prepare_warehouse("21")
    land(runtime_env["root"], kepri2022, "2022-03", "21.03")
    staged = extract_task("2022-03", "21.03").execute({"run_id": "t"})
    assert (staged["action"], staged["waited"], staged["kode_kabkota"], staged["periode"]) == (
        "process", "arrived", "21.03", "2022-03")
    rows = len(source_file(kepri2022, "2022-03", "21.03").read_text().splitlines()) - 1
    assert staged["rows"] == rows
    status = query(runtime_env["dsn"], "SELECT status, row_count, archive_key, sha256 FROM raw.submission "
                   "WHERE submission_id = %s", (staged["submission_id"],))
    [(state, row_count, archive_key, sha256)] = status
    assert (state, row_count) == ("staged", rows)
    assert archive_key.startswith("archive/21/2022-03/21.03/" + sha256)
    assert steps.merge(steps.validate(staged, "t"), "t")["action"] == "loaded", "the reference carries the branch on"
    with pytest.raises(AirflowSkipException, match="21.03 2022-03: unchanged"):
        extract_task("2022-03", "21.03").execute({"run_id": "t"})


def test_the_extract_task_skips_its_branch_when_nothing_came_by_the_deadline(runtime_env):
    steps.prepare_warehouse("21")
    with pytest.raises(AirflowSkipException, match="21.05 2022-03: missing"):
        extract_task("2022-03", "21.05").execute({"run_id": "t"})
    assert steps.report("21", "2022-03")["21.05"] == "missing"


def test_the_extract_task_defers_before_the_deadline_and_extracts_when_the_file_lands(runtime_env, kepri2022):
    steps.prepare_warehouse("21")
    periode = datetime.now(UTC).strftime("%Y-%m")
    with pytest.raises(TaskDeferred) as deferred:
        extract_task(periode, "21.05").execute({"run_id": "t"})
    assert deferred.value.trigger.serialize()[1]["data_root"] == runtime_env["root"].as_uri()
    path = source_file(kepri2022, "2022-03", "21.05")
    target = runtime_env["root"] / "landing" / "21" / periode / "21.05" / path.name
    target.parent.mkdir(parents=True)
    target.write_bytes(path.read_bytes())
    staged = extract_task(periode, "21.05").execute_complete({"run_id": "t"}, {"status": "arrived"})
    assert (staged["action"], staged["waited"], staged["rows"]) == (
        "process", "arrived", len(path.read_text().splitlines()) - 1)


def test_the_extract_task_skips_its_branch_when_the_file_is_rejected_before_its_rows_are_read(runtime_env):
    steps.prepare_warehouse("21")
    target = runtime_env["root"] / "landing" / "21" / "2022-03" / "21.05" / "salur.csv"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"bukan,template,kolom\n1,2,3\n")
    with pytest.raises(AirflowSkipException, match="21.05 2022-03: rejected"):
        extract_task("2022-03", "21.05").execute({"run_id": "t"})
    assert steps.report("21", "2022-03")["21.05"] == "rejected"
