"""Alert delivery to real receivers: an SMTP server, an HTTP webhook, the outbox folder and an S3 outbox.

The rejection is built from the validation's own ``Verdict.reasons()`` with masked examples, plus a
raw NIK in a rule description that the alert must mask. Whatever the channel, the message names the
province, kab/kota and period, the rules with counts, a masked example and the links, and no
16-digit number reaches a message, a file or a log line.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from pathlib import Path
from types import SimpleNamespace

from bansos.alert import on_task_failure, rejected_alert, send_alert
from bansos.domain.outcome import RuleOutcome
from bansos.domain.privacy import FULL_IDENTIFIER
from bansos.validate.validate import Verdict
from tests.alert.conftest import WEBHOOK_PATH, free_port, smtp_conn, webhook_conn

# In logs: a run of 16+ digits that is not a float's fraction (Airflow logs timings like 0.0701675929999510).
IDENTIFIER_IN_LOG = re.compile(r"(?<![\d.])\d{16,}")
RAW_NIK = "2171015505800002"
SHA = hashlib.sha256(b"x").hexdigest()  # holds an 11-digit run, which plain mask_text would mangle
DOCS = "http://127.0.0.1:8080/data_docs/local_site/index.html"
LOG = "http://127.0.0.1:8080/dags/bansos_monthly_21/runs/manual__2022-03/tasks/kabkota.validate/mapped/2"


def rejection():
    verdict = Verdict(accepted=False, results=[
        RuleOutcome(rule="nik_format", severity="error", success=False, count=3,
                   description=f"NIK harus valid (baris 12: {RAW_NIK} punya tanggal lahir yang salah).",
                   examples=[{"source_line": 12, "nik_masked": "2171********0003"},
                             {"source_line": 57, "nik_masked": "2171********0021"}]),
        RuleOutcome(rule="nominal_in_rules", severity="error", success=False, count=41,
                   description="nominal harus angka Rupiah bulat di dalam batas aturan program.",
                   examples=[{"source_line": 88, "nik_masked": "2172********0105"}]),
        RuleOutcome(rule="nik_region_other_kabkota", severity="warning", success=False, count=7,
                   description="Prefix NIK dari kab/kota lain.", examples=[]),
        RuleOutcome(rule="required_nik", severity="error", success=True, count=0, description="-"),
    ])
    ref = {"province": "21", "periode": "2022-03", "kode_kabkota": "21.71", "submission_id": 31,
           "file_name": "bansos_batam_2022-03.csv", "sha256": SHA,
           "quarantine_key": f"quarantine/21/2022-03/21.71/{SHA}/bansos_batam_2022-03.csv"}
    links = {"Data Docs": DOCS, "Airflow log": LOG, "Quarantine": f"s3://bansos/{ref['quarantine_key']}"}
    return rejected_alert(ref, verdict.reasons(), links=links)


def assert_complete(content: str, where: str) -> None:
    """The facts every alert channel must carry, and no identifier."""
    for fact in ("21.71", "Kota Batam", "Kepulauan Riau", "2022-03", "nik_format", "nominal_in_rules",
                 "nik_region_other_kabkota", "41", "2171********0003", "2172********0105",
                 "2171********0002", DOCS, LOG, f"quarantine/21/2022-03/21.71/{SHA}/"):
        assert fact in content, f"{where} lacks {fact!r}"
    assert "required_nik" not in content, f"{where} lists a rule that passed"
    assert not FULL_IDENTIFIER.search(content), f"{where} holds a 16-digit number"


def assert_clean_logs(caplog, capfd) -> None:
    lines = [r.getMessage() for r in caplog.records] + [str(r.args) for r in caplog.records]
    out, err = capfd.readouterr()
    lines += out.splitlines() + err.splitlines()
    assert lines, "nothing was logged: the check would prove nothing"
    leaks = [line for line in lines if IDENTIFIER_IN_LOG.search(line)]
    assert not leaks, leaks


def test_rejection_reaches_the_mail_server_and_the_webhook(alert_connections, caplog, capfd):
    mailbox, receiver = alert_connections
    with caplog.at_level(logging.DEBUG):
        channels = send_alert(rejection())
    assert channels == ["email:dinsos@kepri.localhost", "webhook"]

    assert len(mailbox.envelopes) == 1
    envelope = mailbox.envelopes[0]
    assert envelope.mail_from == "bansos-pipeline@dinsos.localhost"
    assert envelope.rcpt_tos == ["dinsos@kepri.localhost"]
    message = mailbox.messages()[0]
    subject = message["Subject"]
    assert subject.startswith("[bansos 21] DITOLAK: 21.71 Kota Batam, periode 2022-03")
    assert "nik_format (3)" in subject and "nominal_in_rules (41)" in subject
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert_complete(text, "mail text")
    assert_complete(html, "mail html")
    assert "nik_format [error], jumlah (count) 3" in text and "baris 12: nik_masked=2171********0003" in text
    assert not FULL_IDENTIFIER.search(envelope.original_content.decode("utf-8", "replace"))

    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request["path"] == WEBHOOK_PATH
    assert request["headers"]["Content-Type"].startswith("application/json")
    payload = json.loads(request["body"])
    assert payload["text"] == subject + "\n" + rejection().summary
    assert payload["blocks"][0]["type"] == "header"
    assert_complete(json.dumps(payload, ensure_ascii=False), "webhook JSON")
    assert_clean_logs(caplog, capfd)


def test_recipients_sender_and_connection_ids_come_from_the_environment(
        monkeypatch, no_alert_env, smtp_server, webhook_receiver, caplog, capfd):
    monkeypatch.setenv("BANSOS_SMTP_CONN_ID", "kepri_mail")
    monkeypatch.setenv("AIRFLOW_CONN_KEPRI_MAIL", smtp_conn(smtp_server.port))
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_conn(free_port()))  # must not be used
    monkeypatch.setenv("BANSOS_ALERT_EMAIL_TO", "kabid-linjamsos@kepri.localhost, data@kepri.localhost")
    monkeypatch.setenv("BANSOS_ALERT_FROM", "alerts@dinsos.kepri.localhost")
    with caplog.at_level(logging.INFO):
        channels = send_alert(rejection())
    assert channels == ["email:kabid-linjamsos@kepri.localhost,data@kepri.localhost"]
    envelope = smtp_server.envelopes[0]
    assert envelope.mail_from == "alerts@dinsos.kepri.localhost"
    assert envelope.rcpt_tos == ["kabid-linjamsos@kepri.localhost", "data@kepri.localhost"]
    assert webhook_receiver.requests == []
    assert not (no_alert_env / "outbox").exists()
    assert_clean_logs(caplog, capfd)


def test_without_connections_the_alert_lands_in_the_outbox(no_alert_env, caplog, capfd):
    with caplog.at_level(logging.DEBUG):
        channels = send_alert(rejection())
    assert len(channels) == 1 and channels[0].startswith("outbox:")
    written = Path(channels[0].removeprefix("outbox:"))
    assert written.parent == no_alert_env / "outbox"
    assert re.fullmatch(r"\d{8}T\d{6}\.\d{6}Z_rejected_21_2022-03_21\.71\.json", written.name)
    record = json.loads(written.read_text(encoding="utf-8"))
    assert (record["kind"], record["kode_kabkota"], record["periode"]) == ("rejected", "21.71", "2022-03")
    assert [r["rule"] for r in record["rules"]] == ["nik_format", "nominal_in_rules",
                                                   "nik_region_other_kabkota"]
    assert [r["count"] for r in record["rules"]] == [3, 41, 7]
    assert record["webhook_payload"]["blocks"]
    text = written.with_suffix(".txt").read_text(encoding="utf-8")
    assert_complete(text, "outbox text")
    assert_complete(written.read_text(encoding="utf-8"), "outbox json")
    assert sorted(p.name for p in written.parent.iterdir()) == sorted([written.name, written.stem + ".txt"])
    assert_clean_logs(caplog, capfd)


def test_outbox_setting_wins_and_a_second_alert_gets_its_own_files(no_alert_env, tmp_path, monkeypatch):
    monkeypatch.setenv("BANSOS_ALERT_OUTBOX", str(tmp_path / "alerts"))
    first, second = send_alert(rejection()), send_alert(rejection())
    assert first != second
    assert len(list((tmp_path / "alerts").glob("*_rejected_21_2022-03_21.71*.json"))) == 2
    assert not (no_alert_env / "outbox").exists()


def test_outbox_in_an_s3_data_root(monkeypatch, no_alert_env, s3_server):
    """On the session's S3 server over HTTP (an in-process ``mock_aws`` would reset that server's buckets)."""
    root = s3_server.root()
    prefix = root.split("/", 3)[3]
    monkeypatch.setenv("BANSOS_DATA_ROOT", root)
    channels = send_alert(rejection())
    s3 = s3_server.client
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=s3_server.bucket, Prefix=f"{prefix}/")["Contents"])
    text = s3.get_object(Bucket=s3_server.bucket, Key=keys[1])["Body"].read().decode("utf-8")
    assert channels[0].startswith(f"outbox:{root}/outbox/")
    assert [k.rsplit(".", 1)[-1] for k in keys] == ["json", "txt"]
    assert all(k.startswith(f"{prefix}/outbox/") for k in keys)
    assert_complete(text, "S3 outbox text")


def test_failing_channels_fall_back_to_the_outbox(monkeypatch, no_alert_env, webhook_receiver, caplog, capfd):
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_conn(free_port()))  # nobody listens there
    monkeypatch.setenv("AIRFLOW_CONN_SLACK_WEBHOOK_DEFAULT", webhook_conn(webhook_receiver.port))
    webhook_receiver.status = 500
    with caplog.at_level(logging.INFO):
        channels = send_alert(rejection())
    assert len(channels) == 1 and channels[0].startswith("outbox:")
    assert len(webhook_receiver.requests) >= 1  # it was tried
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("alert e-mail through connection 'smtp_default' failed" in m for m in errors)
    assert any("alert webhook through connection 'slack_webhook_default' failed" in m for m in errors)
    assert_clean_logs(caplog, capfd)


def test_task_failure_callback_delivers_a_masked_alert(alert_connections, caplog, capfd):
    mailbox, receiver = alert_connections
    ti = SimpleNamespace(dag_id="bansos_monthly_21", task_id="kabkota.merge", map_index=4, run_id="manual__x",
                         try_number=3, rendered_map_index="21.04", log_url=LOG)
    context = {"ti": ti, "run_id": "manual__x", "params": {"periode": "2022-07"},
               "exception": RuntimeError(f"duplicate key (nik_hash)=({RAW_NIK}) in core.penerima")}
    with caplog.at_level(logging.DEBUG):
        on_task_failure(context)
    message = mailbox.messages()[0]
    assert message["Subject"] == "[bansos 21] TASK GAGAL: 21.04 Kabupaten Lingga, periode 2022-07"
    text = message.get_body(("plain",)).get_content()
    assert "Task: kabkota.merge [map_index 4]" in text and "Percobaan (try): 3" in text
    assert "RuntimeError: duplicate key (nik_hash)=(2171********0002)" in text and LOG in text
    assert not FULL_IDENTIFIER.search(text)
    payload = json.loads(receiver.requests[0]["body"])
    assert "Kabupaten Lingga" in json.dumps(payload) and not FULL_IDENTIFIER.search(json.dumps(payload))
    assert_clean_logs(caplog, capfd)
