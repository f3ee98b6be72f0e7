"""The approval's alerts (issue 13) through the real ledger and real receivers: a month not approved in time
(``approval_overdue``, for the approval step's timeout) and a correction held for a locked month (``held``).

Each is recorded in a real warehouse, delivered to a real SMTP server and webhook (or the outbox), sent once per
event, names the province, the month and what to do, and approves nothing.
"""

from __future__ import annotations

import json
from datetime import timedelta

from bansos.alert import approval_overdue, approval_overdue_alert, held_alert, overdue, render
from bansos.domain.config import load_province
from bansos.domain.privacy import FULL_IDENTIFIER
from tests.pipeline import query

RUN = "http://127.0.0.1:8080/dags/bansos_monthly_21/runs/scheduled__2022-12-01"


def test_overdue_is_past_the_province_timeout():
    hours = load_province("21").approval_timeout_hours
    assert not overdue(timedelta(hours=hours) - timedelta(seconds=1), hours)
    assert overdue(timedelta(hours=hours), hours)


def test_the_overdue_alert_says_what_waits_and_that_nothing_was_approved():
    alert = approval_overdue_alert("21", "2022-12", timedelta(days=15), RUN)
    assert (alert.kind, alert.severity, alert.kode_kabkota, alert.dedup_key) == (
        "approval_overdue", "warning", None, "approval_overdue:21:2022-12")
    text = render.text(alert)
    for fact in ("Kepulauan Riau", "2022-12", "15.0", "360", "provisional", "never approved automatically", RUN,
                 "Required Actions"):
        assert fact in text, fact
    assert approval_overdue_alert("21", "2022-12", 360.0, RUN).summary == alert.summary, "hours or a timedelta"


def test_the_overdue_alert_reaches_every_channel_once_and_approves_nothing(warehouse, alert_connections):
    smtp, webhook = alert_connections
    first = approval_overdue("21", "2022-12", timedelta(hours=340), RUN, dsn=warehouse)
    again = approval_overdue("21", "2022-12", timedelta(hours=400), RUN, dsn=warehouse)
    assert first == again, "one alert per province-month"
    assert query(warehouse, "SELECT kind, periode, kode_kabkota FROM dq.alert") == [
        ("approval_overdue", "2022-12", None)]
    assert sorted(query(warehouse, "SELECT channel, delivered_at IS NOT NULL FROM dq.alert_delivery")) == [
        ("email", True), ("webhook", True)]
    [message] = smtp.messages()
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "2022-12" in message["Subject"] and RUN in body and "provisional" in body
    [posted] = webhook.requests
    assert "2022-12" in json.loads(posted["body"])["text"]
    assert query(warehouse, "SELECT count(*) FROM core.approval") == [(0,)], "a timeout never approves"


def test_the_held_alert_names_the_month_and_the_unlock_and_goes_to_the_outbox(warehouse, no_alert_env):
    from bansos.alert import notify

    alert = held_alert("21", "2022-05", "21.72", submission_id=41, approved_batch_id=7)
    assert alert.dedup_key == "held:41" and alert.kind == "held"
    alert_id = notify(warehouse, alert)
    assert notify(warehouse, held_alert("21", "2022-05", "21.72", 41, 7)) == alert_id
    written = sorted((no_alert_env / "outbox").glob("*_held_21_2022-05_21.72.txt"))
    assert len(written) == 1
    text = written[0].read_text(encoding="utf-8")
    for fact in ("Kota Tanjung Pinang", "2022-05", "DITAHAN", "month_locked", "Submission: 41",
                 "python -m bansos.approve unlock --province 21 --periode 2022-05 --kabkota 21.72",
                 "re-run the month"):
        assert fact in text, fact
    assert not FULL_IDENTIFIER.search(text)
