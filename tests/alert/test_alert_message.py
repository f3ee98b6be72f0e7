"""Alert rendering: every channel's text names the place, period, rules, counts and links, and no identifier.

The rule dicts are shaped like ``Verdict.reasons()``; some carry what upstream masking should have
caught (a raw NIK in a description, an integer NIK, a name and a birth date in an example), because
the alert's own privacy pass must catch it anyway.
"""

from __future__ import annotations

import hashlib
import json
import logging
from types import SimpleNamespace

import pendulum
import pytest

from bansos.alert import (
    Alert,
    integrity_alert,
    missing_alert,
    on_task_failure,
    rejected_alert,
    render,
    task_failed_alert,
    warned_alert,
)
from bansos.alert.redact import clean_text
from bansos.domain.outcome import RuleOutcome
from bansos.domain.privacy import FULL_IDENTIFIER, mask_text

RAW_NIK = "2171015505800002"
RAW_KK = "2171011203100001"
# A real SHA-256 with an 11-digit run (``02258717921``): a quarantine path must keep it whole.
SHA = hashlib.sha256(b"x").hexdigest()


def rejection() -> Alert:
    ref = {"province": "21", "periode": "2022-03", "kode_kabkota": "21.71", "submission_id": 17,
           "file_name": "batam_2022-03.csv", "sha256": SHA,
           "quarantine_key": f"quarantine/21/2022-03/21.71/{SHA}/batam_2022-03.csv"}
    reasons = [
        {"rule": "nik_format", "severity": "error", "count": 3,
         "description": f"NIK harus 16 digit (mis. {RAW_NIK} di baris 12 ditulis salah).",
         "examples": [{"source_line": 12, "nik_masked": "2171********0003"},
                      {"source_line": 40, "nik_masked": "2171********0009", "nama": "SITI AMINAH",
                       "tanggal_lahir": "1980-05-15"}]},
        {"rule": "no_kk_format", "severity": "error", "count": 1, "description": "No KK harus 16 digit.",
         "examples": [int(RAW_KK)]},
        {"rule": "tanggal_lahir_valid", "severity": "error", "count": 2,
         "description": "Tanggal lahir harus valid.", "examples": ["15/05/1980", "1980-02-30"]},
        {"rule": "nik_region_other_kabkota", "severity": "warning", "count": 1250,
         "description": "Prefix NIK dari kab/kota lain.", "examples": []},
    ]
    links = {"Data Docs": "http://127.0.0.1:8080/data_docs/index.html",
             "Airflow log": "http://127.0.0.1:8080/dags/bansos_monthly_21/runs/r1/tasks/kabkota.validate/mapped/2",
             "Quarantine": f"file:///srv/bansos/quarantine/21/2022-03/21.71/{SHA}/batam_2022-03.csv"}
    return rejected_alert(dict(ref), [RuleOutcome.from_dict(r) for r in reasons], links=links)


def renderings(alert: Alert) -> dict[str, str]:
    return {"subject": render.subject(alert), "text": render.text(alert), "html": render.html_body(alert),
            "slack": json.dumps(render.slack_payload(alert), ensure_ascii=False)}


def test_rejection_says_where_when_which_rules_and_links_in_every_rendering():
    alert = rejection()
    assert alert.province_name == "Kepulauan Riau" and alert.kabkota_name == "Kota Batam"
    for name, out in renderings(alert).items():
        assert "21.71" in out and "Kota Batam" in out and "2022-03" in out, name
        assert "nik_format" in out and "no_kk_format" in out, name
    for name in ("text", "html", "slack"):
        out = renderings(alert)[name]
        assert "Kepulauan Riau" in out
        assert "2171********0003" in out and "2171********0009" in out, name
        assert "1,250" in out, name  # the warning's count
        assert "http://127.0.0.1:8080/data_docs/index.html" in out, name
        assert "/tasks/kabkota.validate/mapped/2" in out, name
        assert f"/{SHA}/batam_2022-03.csv" in out, name  # the digest survives the privacy pass
    text = render.text(alert)
    assert "nik_format [error], jumlah (count) 3: NIK harus 16 digit" in text
    assert "baris 12: nik_masked=2171********0003" in text


def test_no_identifier_name_or_birth_date_survives_any_rendering():
    for name, out in renderings(rejection()).items():
        assert not FULL_IDENTIFIER.search(out), (name, FULL_IDENTIFIER.findall(out))
        assert RAW_NIK not in out and RAW_KK not in out
        assert "SITI" not in out and "AMINAH" not in out, name
        assert "1980" not in out and "15/05" not in out, name
    text = render.text(rejection())
    assert "2171********0002" in text  # the raw NIK of the description, masked
    assert "2171********0001" in text  # the integer No KK of an example, masked


def test_privacy_pass_masks_identifiers_inside_hex_like_tokens():
    digest_with_nik = "ab" + RAW_NIK + "c" * 14  # 32 hex characters holding a NIK
    assert RAW_NIK not in clean_text(f"x/{digest_with_nik}/y")
    assert mask_text(SHA) != SHA  # what the exception for digests is for
    assert clean_text(f"q/{SHA}/f") == f"q/{SHA}/f"
    assert clean_text(f"NIK={RAW_NIK}") == "NIK=2171********0002"


def test_html_is_escaped_and_slack_payload_respects_block_limits():
    rules = [{"rule": f"rule_{i}", "severity": "error", "count": i,
              "description": "<script>x</script> " * 300, "examples": []} for i in range(30)]
    alert = Alert(kind="rejected", severity="error", province="21", province_name="Kepulauan Riau",
                  periode="2022-03", kode_kabkota="21.71", kabkota_name="Kota Batam", summary="s",
                  rules=rules)
    assert "<script>" not in render.html_body(alert)
    payload = render.slack_payload(alert)
    assert payload["text"].startswith("[bansos 21] DITOLAK: 21.71 Kota Batam, periode 2022-03")
    assert len(payload["blocks"]) <= 50
    assert payload["blocks"][0]["type"] == "header" and len(payload["blocks"][0]["text"]["text"]) <= 150
    sections = [b["text"]["text"] for b in payload["blocks"] if b["type"] == "section" and "text" in b]
    assert max(len(s) for s in sections) <= 3000
    assert "&lt;script&gt;" in sections[2] and "<script>" not in json.dumps(payload)
    assert "10 aturan lain" in json.dumps(payload)
    assert len(render.subject(alert)) <= 200


def test_unknown_kind_or_severity_is_refused():
    with pytest.raises(ValueError, match="unknown alert kind"):
        Alert(kind="late", severity="error", province="21", province_name="", periode="2022-03")
    with pytest.raises(ValueError, match="severity"):
        Alert(kind="missing", severity="info", province="21", province_name="", periode="2022-03")


def test_missing_and_integrity_builders():
    missing = missing_alert("21", "2022-03", "21.03", "2022-04-10",
                            links={"Landing": "file:///srv/bansos/landing/21/2022-03/21.03/"})
    text = render.text(missing)
    assert missing.kind == "missing" and missing.severity == "error"
    assert "Kabupaten Natuna (21.03)" in text and "2022-04-10" in text and "submission_deadline" in text
    assert "landing/21/2022-03/21.03/" in text

    findings = [{"rule": "nik_programme_two_kabkota", "severity": "warning", "count": 3,
                 "description": "NIK sama menerima program sama di dua kab/kota dalam satu bulan.",
                 "examples": [{"nik_masked": "2171********0003", "kode_kabkota": ["21.71", "21.72"],
                               "kode_program": "JAMSOS"}]},
                {"rule": "nik_two_households", "severity": "warning", "count": 2,
                 "description": "Satu NIK di dua KK.",
                 "examples": [{"nik_masked": "2101********0007", "no_kk": RAW_KK}]}]
    integrity = integrity_alert("21", "2022-03", [RuleOutcome.from_dict(f) for f in findings])
    assert integrity.severity == "warning" and integrity.kode_kabkota is None
    assert {r["severity"] for r in integrity.rules} == {"warning"}
    out = render.text(integrity)
    assert "seluruh kab/kota" in out and "5 kasus" in out
    assert "nik_programme_two_kabkota [warning], jumlah (count) 3" in out and "['21.71', '21.72']" in out
    assert "2171********0001" in out and not FULL_IDENTIFIER.search(out)
    assert "PERINGATAN INTEGRITAS: seluruh provinsi, periode 2022-03" in render.subject(integrity)


def failure_context(exception: BaseException) -> dict:
    ti = SimpleNamespace(dag_id="bansos_monthly_21", task_id="kabkota.validate", map_index=2,
                         run_id="manual__1", try_number=3, rendered_map_index="21.71",
                         log_url="http://127.0.0.1:8080/dags/bansos_monthly_21/runs/manual__1/tasks/"
                                 "kabkota.validate/mapped/2?try_number=3")
    return {"ti": ti, "task_instance": ti, "run_id": "manual__1", "params": {"periode": None},
            "data_interval_start": pendulum.datetime(2022, 2, 28, 19, tz="UTC"), "exception": exception}


def test_task_failed_alert_reads_the_airflow_callback_context():
    alert = task_failed_alert(failure_context(ValueError(f"baris 12: NIK {RAW_NIK} tidak valid")))
    assert (alert.kind, alert.province, alert.periode) == ("task_failed", "21", "2022-03")
    assert alert.kode_kabkota == "21.71"
    assert alert.kabkota_name == "Kota Batam"
    assert alert.links["Airflow log"].endswith("/mapped/2?try_number=3")
    text = render.text(alert)
    assert "Task: kabkota.validate [map_index 2]" in text and "Percobaan (try): 3" in text
    assert "ValueError: baris 12: NIK 2171********0002 tidak valid" in text
    assert not FULL_IDENTIFIER.search(text)


def test_failure_callback_never_raises(monkeypatch, caplog):
    def broken(alert):
        raise OSError(f"disk full while writing {RAW_NIK}")

    monkeypatch.setattr("bansos.alert.callbacks.send_alert", broken)
    with caplog.at_level(logging.ERROR, logger="bansos.alert"):
        assert on_task_failure(failure_context(RuntimeError("boom"))) is None
        assert on_task_failure({}) is None  # even an empty context
    messages = [r.getMessage() for r in caplog.records]
    assert any("task-failure alert could not be sent: OSError" in m for m in messages)
    assert not any(FULL_IDENTIFIER.search(m) for m in messages)


def test_a_file_accepted_with_warnings_links_its_correction_list_in_every_rendering():
    ref = {"province": "21", "periode": "2022-03", "kode_kabkota": "21.71", "submission_id": 18,
           "file_name": "batam_2022-03.csv", "sha256": SHA, "rows": 2500}
    koreksi = f"file:///srv/bansos/correction_lists/21/2022-03/21.71/{SHA}/koreksi_batam_2022-03.xlsx"
    warnings = [RuleOutcome(rule="nik_region_other_kabkota", severity="warning", count=12,
                            description="NIK diterbitkan di kab/kota lain.")]

    alert = warned_alert(ref, warnings, links={"Data Docs": "file:///srv/bansos/datadocs/x.html",
                                               "Daftar koreksi": koreksi})

    assert (alert.kind, alert.severity, alert.dedup_key) == ("warned", "warning", "warned:18")
    assert render.subject(alert).startswith("[bansos 21] PERINGATAN: 21.71 Kota Batam, periode 2022-03")
    for name, out in renderings(alert).items():
        assert "nik_region_other_kabkota" in out, name
        if name != "subject":
            assert "Daftar koreksi" in out and f"/{SHA}/koreksi_batam_2022-03.xlsx" in out, name
            assert "diterima dengan 1 peringatan" in out, name
