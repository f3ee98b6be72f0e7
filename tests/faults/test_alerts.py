"""Fault injection: lost alerts. Channels down when a file is rejected, one channel down while the other
works, a run-failure callback fired twice, identifiers offered to the alert ledger.

Real PostgreSQL, a real SMTP server (aiosmtpd) and a real HTTP webhook receiver; a channel is "down"
when nothing listens on its port (mail) or it answers HTTP 503 (webhook). The rejection is a file-level
one (``misspelt_header``), decided by the real steps. "Nothing lost": after the outage and the next
report, the warehouse (core, marts, submissions, the alert itself) equals the warehouse of a run
whose channels were up, and each channel received the alert exactly once.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller

from bansos.alert import notify, on_run_failure, rejected_alert
from bansos.domain.config import load_province
from bansos.domain.outcome import RuleOutcome
from bansos.domain.privacy import FULL_IDENTIFIER
from bansos.orchestration import steps
from tests.alert import conftest as alert_fixtures
from tests.alert.conftest import ALERT_ENV, Mailbox, free_port, smtp_conn, webhook_conn
from tests.conftest import migrated_template, new_database
from tests.pipeline import land, query, run_branch, snapshot, source_file
from tools.synthetic.defects import make_defective

# the fixtures of tests/alert this module uses
webhook_receiver = alert_fixtures.webhook_receiver

PERIODE, KODE = "2022-03", "21.71"
LANDED_AT = time.time() - 3600


def before_deadline() -> datetime:
    """A report time before the month's deadline: the other kab/kota's missing alerts stay out of the count."""
    return datetime(2022, 4, 1, tzinfo=ZoneInfo(load_province("21").timezone))


@pytest.fixture
def channels(monkeypatch, webhook_receiver):
    """Mail on a port where nothing listens yet (``up()`` starts the SMTP server there); the webhook answers
    503 until ``up()``. Both configured as the Airflow connections a deployment would set."""
    for name in ALERT_ENV:
        monkeypatch.delenv(name, raising=False)
    port = free_port()
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_conn(port))
    monkeypatch.setenv("AIRFLOW_CONN_SLACK_WEBHOOK_DEFAULT", webhook_conn(webhook_receiver.port))
    webhook_receiver.status = 503
    state = SimpleNamespace(mailbox=Mailbox(), webhook=webhook_receiver, controller=None)

    def mail_up():
        state.controller = Controller(state.mailbox, hostname="127.0.0.1", port=port)
        state.controller.start()

    def webhook_up():
        webhook_receiver.status = 200
        webhook_receiver.requests.clear()  # the refused posts are not deliveries

    state.mail_up, state.webhook_up = mail_up, webhook_up
    try:
        yield state
    finally:
        if state.controller is not None:
            state.controller.stop()


def land_rejected(root, kepri2022) -> bytes:
    data, _ = make_defective("misspelt_header", source_file(kepri2022, PERIODE, KODE).read_bytes(), KODE)
    land(root, kepri2022, PERIODE, KODE, content=data, mtime=LANDED_AT)
    return data


def deliveries(dsn: str) -> dict[str, tuple]:
    rows = query(dsn, "SELECT channel, delivered_at IS NOT NULL, attempts FROM dq.alert_delivery ORDER BY 1")
    return {channel: (delivered, attempts) for channel, delivered, attempts in rows}


def ledger_snapshot(dsn: str) -> list[tuple]:
    return query(dsn, "SELECT kind, dedup_key, payload FROM dq.alert ORDER BY alert_id")


def clean_run(pg_base: str, monkeypatch, root, kepri2022, channels) -> tuple[dict, list]:
    """The same file through a warehouse of its own with every channel up: what the faulty run must equal."""
    dsn = new_database(pg_base, "clean", template=migrated_template(pg_base))
    with monkeypatch.context() as mp:
        mp.setenv("BANSOS_WAREHOUSE_URL", dsn)
        land_rejected(root, kepri2022)
        assert run_branch(PERIODE, KODE)["action"] == "rejected"
        steps.report("21", PERIODE, now=before_deadline())
    assert set(deliveries(dsn)) == {"email", "webhook"} and all(d for d, _ in deliveries(dsn).values())
    return snapshot(dsn), ledger_snapshot(dsn)


def test_a_rejection_alert_survives_every_channel_down(runtime_env, kepri2022, channels, pg_base, monkeypatch):
    """Fault: mail and webhook are both down when a file is rejected (the alert used to be sent once,
    after the status change, and never again)."""
    dsn, root = runtime_env["dsn"], runtime_env["root"]
    land_rejected(root, kepri2022)

    result = run_branch(PERIODE, KODE)

    assert result["action"] == "rejected", "a failing channel must not change or fail the decision"
    assert query(dsn, "SELECT status FROM raw.submission") == [("rejected",)]
    state = deliveries(dsn)
    assert state["email"] == (False, 1) and state["webhook"] == (False, 1), state
    assert state["outbox"] == (True, 1), "the outbox takes what no channel took, once"

    channels.mail_up()
    channels.webhook_up()
    steps.report("21", PERIODE, now=before_deadline())
    steps.report("21", PERIODE, now=before_deadline())  # a later run finds nothing left to send

    mails, hooks = channels.mailbox.messages(), channels.webhook.requests
    assert len(mails) == 1 and len(hooks) == 1, (len(mails), len(hooks))
    assert mails[0]["Subject"].strip().startswith(f"[bansos 21] DITOLAK: {KODE} Kota Batam, periode {PERIODE}")
    assert json.loads(hooks[0]["body"])["text"].startswith(f"[bansos 21] DITOLAK: {KODE} Kota Batam")
    assert deliveries(dsn) == {"email": (True, 2), "outbox": (True, 1), "webhook": (True, 2)}
    assert len(list((root / "outbox").glob("*.json"))) == 1

    expected_warehouse, expected_alerts = clean_run(pg_base, monkeypatch, root, kepri2022, channels)
    assert snapshot(dsn) == expected_warehouse
    assert ledger_snapshot(dsn) == expected_alerts


def test_mail_delivered_webhook_down_is_sent_later_without_mailing_again(runtime_env, kepri2022, channels):
    """Fault: the webhook is down while mail works (the webhook message used to be dropped)."""
    dsn, root = runtime_env["dsn"], runtime_env["root"]
    channels.mail_up()
    land_rejected(root, kepri2022)

    assert run_branch(PERIODE, KODE)["action"] == "rejected"
    assert len(channels.mailbox.messages()) == 1
    assert deliveries(dsn) == {"email": (True, 1), "webhook": (False, 1)}

    channels.webhook_up()
    steps.report("21", PERIODE, now=before_deadline())
    steps.report("21", PERIODE, now=before_deadline())

    assert len(channels.webhook.requests) == 1, "the webhook gets the alert once it is back, once"
    assert len(channels.mailbox.messages()) == 1, "mail that got through is not sent again"
    assert deliveries(dsn) == {"email": (True, 1), "webhook": (True, 2)}
    assert not (root / "outbox").exists(), "a delivered channel needs no outbox copy"
    payload = json.loads(channels.webhook.requests[0]["body"])
    assert payload["text"].startswith(f"[bansos 21] DITOLAK: {KODE} Kota Batam")


def test_the_ledger_never_holds_a_full_identifier(runtime_env, channels):
    """Fault: an alert whose rules quote a raw NIK, a name and a birth date, recorded while every channel is
    down (so it is stored and kept for the retry): the stored payload and errors are masked."""
    dsn = runtime_env["dsn"]
    raw_nik, raw_kk = "2171015505800002", "2171010101220007"
    ref = {"province": "21", "periode": PERIODE, "kode_kabkota": KODE, "submission_id": 7,
           "file_name": f"batam_{raw_nik}.csv"}
    reasons = [{"rule": "nik_format", "severity": "error", "count": 2,
                "description": f"NIK {raw_nik} (KK {raw_kk}) punya tanggal lahir yang salah.",
                "examples": [{"source_line": 12, "nik": raw_nik, "nama": "Siti Aminah",
                              "tanggal_lahir": "1980-05-15"}]}]

    notify(dsn, rejected_alert(ref, [RuleOutcome.from_dict(r) for r in reasons]))

    stored = query(dsn, "SELECT row_to_json(a)::text FROM dq.alert AS a")
    stored += query(dsn, "SELECT row_to_json(d)::text FROM dq.alert_delivery AS d")
    assert len(stored) == 4, stored  # the alert; email and webhook pending, the outbox copy
    text = "\n".join(row[0] for row in stored)
    assert "2171********0002" in text, "the alert is stored, masked"
    assert not FULL_IDENTIFIER.search(text)
    assert "Siti" not in text and "1980-05-15" not in text
    assert query(dsn, "SELECT count(*) FROM dq.alert_delivery WHERE last_error IS NOT NULL")[0][0] == 2


def test_a_failed_run_alerts_once_when_the_callback_fires_twice(runtime_env, channels):
    """Fault: a run fails because a task was killed on its last try (no task callback, apache/airflow#60858);
    the DAG-level callback fires, and fires again (the DAG processor, then the run's leaf task)."""
    dsn = runtime_env["dsn"]
    channels.mail_up()
    channels.webhook_up()
    # what the DAG processor passes a DAG-level callback when it has no task instance to describe
    context = {"dag": SimpleNamespace(dag_id="bansos_monthly_21"), "run_id": "scheduled__2022-03-31T19:00:00+00:00",
               "reason": "task_failure", "params": {"periode": PERIODE}}

    on_run_failure(context)
    on_run_failure(context)
    on_run_failure(context, ["kabkota.merge_2"])  # the fail_if_a_task_failed leaf, with the failed tasks

    assert query(dsn, "SELECT kind, dedup_key, periode FROM dq.alert") == [
        ("run_failed", "run_failed:bansos_monthly_21:scheduled__2022-03-31T19:00:00+00:00", PERIODE)]
    mails = channels.mailbox.messages()
    assert [m["Subject"] for m in mails] == ["[bansos 21] RUN GAGAL: seluruh provinsi, periode 2022-03"]
    assert len(channels.webhook.requests) == 1
    body = mails[0].get_body(("plain",)).get_content()
    assert "Run: scheduled__2022-03-31T19:00:00+00:00" in body and "task_failure" in body
