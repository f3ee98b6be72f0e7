"""One defective extract per class of what real kab/kota files get wrong (DOMAIN.md), end to end.

For every class the synthetic generator's ``--defect`` switch writes, a defective extract lands
for its own kab/kota-month beside a clean one of another kab/kota. Rejected classes must fire
exactly the rule expected, leave rule rows in ``dq.rule_result``, be quarantined byte for byte,
merge nothing for that kab/kota-month while the clean one is merged, and reach a real SMTP server
(aiosmtpd) and a real HTTP webhook receiver with no full NIK in any message or log line. The
accepted formats (semicolons, cp1252, BOM, XLSX) must load.
"""

from __future__ import annotations

import json
import logging
import threading
from http.server import ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from bansos.domain.privacy import FULL_IDENTIFIER
from tests.alert.conftest import Mailbox, _Receiver, free_port, smtp_conn, webhook_conn
from tests.conftest import pipeline_env
from tests.pipeline import load_without_suite, quarantine_key, query, run_branch, source_file
from tools.synthetic.defects import DEFECTS, make_defective

# defect -> (outcome, error rules that must fail (exactly), a warning rule that must fail)
EXPECTED = {
    "nik_short": ("rejected", {"nik_format"}, None),
    "nik_scientific": ("rejected", {"nik_scientific_notation"}, None),
    "nik_repeated_digit": ("rejected", {"nik_format"}, None),
    "nik_serial_0000": ("rejected", {"nik_format"}, None),
    "nik_bad_date": ("rejected", {"nik_birth_date"}, None),
    "nik_unknown_region": ("rejected", {"nik_region_known"}, None),
    "nik_other_kabkota": ("loaded", set(), "nik_region_other_kabkota"),
    "sex_mismatch": ("loaded", set(), "nik_sex_mismatch"),
    "no_kk_short": ("rejected", {"no_kk_format"}, None),
    "no_kk_scientific": ("rejected", {"no_kk_scientific_notation"}, None),
    "xlsx_numeric_nik": ("rejected", {"nik_scientific_notation"}, None),
    "kecamatan_outside_kabkota": ("rejected", {"kecamatan_in_kabkota"}, None),
    "desa_outside_kecamatan": ("rejected", {"desa_in_kecamatan"}, None),
    "unknown_programme": ("rejected", {"programme_known"}, None),
    "nominal_above_rules": ("rejected", {"nominal_in_rules"}, None),
    "nominal_with_separators": ("rejected", {"nominal_in_rules"}, None),
    "tanggal_salur_outside": ("rejected", {"tanggal_salur_in_period"}, None),
    "saluran_invalid": ("rejected", {"saluran_valid"}, None),
    "duplicate_household_programme": (
        "rejected",
        {"household_programme_unique", "nik_programme_unique"},
        None,
    ),
    "nik_in_two_households": ("rejected", {"nik_programme_unique"}, None),
    "blank_name": ("rejected", {"required_nama"}, None),
    "periode_mismatch": ("rejected", {"periode_matches_folder"}, None),
    "kabkota_mismatch": ("rejected", {"kabkota_matches_folder"}, None),
    "missing_column": ("rejected", {"missing_columns"}, None),
    "misspelt_header": ("rejected", {"missing_columns"}, None),
    "empty_file": ("rejected", {"empty_file"}, None),
    "ragged_rows": ("rejected", {"ragged_rows"}, None),
    "semicolon_crlf": ("loaded", set(), None),
    "cp1252": ("loaded", set(), None),
    "utf8_bom": ("loaded", set(), None),
    "xlsx": ("loaded", set(), None),
}
ROW_COUNT_DEFECT = "row_count_drop"  # needs history: tested on its own below
CLEAN_PARTNER = "21.03"
SLOTS = [(kode, f"2022-{m:02d}") for kode in ("21.05", "21.04", "21.01") for m in range(1, 13)]


def test_every_generator_defect_class_has_an_expectation():
    assert set(DEFECTS) == set(EXPECTED) | {ROW_COUNT_DEFECT}


@pytest.fixture(scope="module")
def receivers():
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    webhook = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    webhook.requests, webhook.status, webhook.port = [], 200, webhook.server_address[1]
    thread = threading.Thread(target=webhook.serve_forever, daemon=True)
    thread.start()
    try:
        yield mailbox, controller.port, webhook
    finally:
        controller.stop()
        webhook.shutdown()
        webhook.server_close()


@pytest.fixture(scope="module")
def env(pg_base, receivers, tmp_path_factory, kepri2022):
    """The warehouse and data root of the module, with the clean partner's month already merged for every
    month a defect lands in (without the suite: its clean file is not what these tests are about); each test
    lands it again and its branch finds it unchanged."""
    mailbox, smtp_port, webhook = receivers
    with pipeline_env(pg_base, tmp_path_factory, "defects") as pipeline:
        for periode in sorted({periode for _, periode in SLOTS}):
            clean = source_file(kepri2022, periode, CLEAN_PARTNER)
            _land(pipeline.root, periode, CLEAN_PARTNER, clean.name, clean.read_bytes())
            assert load_without_suite(periode, CLEAN_PARTNER)["action"] == "loaded"
        pipeline.mp.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_conn(smtp_port))
        pipeline.mp.setenv("AIRFLOW_CONN_SLACK_WEBHOOK_DEFAULT", webhook_conn(webhook.port))
        for name in ("BANSOS_ALERT_OUTBOX", "BANSOS_SMTP_CONN_ID", "BANSOS_SLACK_CONN_ID", "BANSOS_ALERT_EMAIL_TO"):
            pipeline.mp.delenv(name, raising=False)
        yield {"dsn": pipeline.dsn, "root": pipeline.root, "mailbox": mailbox, "webhook": webhook}


def _land(root, periode: str, kode: str, name: str, data: bytes):
    folder = root / "landing" / "21" / periode / kode
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def _mail_text(message) -> str:
    parts = [message["Subject"] or ""]
    for part in message.walk():
        if part.get_content_maintype() == "text":
            parts.append(part.get_content())
    return "\n".join(parts)


@pytest.mark.parametrize("defect", sorted(EXPECTED))
def test_defect_class(defect, env, kepri2022, caplog):
    caplog.set_level(logging.INFO)
    kode, periode = SLOTS[sorted(EXPECTED).index(defect)]
    outcome, errors, warning = EXPECTED[defect]
    clean_partner = source_file(kepri2022, periode, CLEAN_PARTNER)
    _land(env["root"], periode, CLEAN_PARTNER, clean_partner.name, clean_partner.read_bytes())
    data, suffix = make_defective(defect, source_file(kepri2022, periode, kode).read_bytes(), kode)
    landed = _land(env["root"], periode, kode, f"koreksi_{defect}{suffix}", data)
    mails_before, hooks_before = len(env["mailbox"].envelopes), len(env["webhook"].requests)

    partner = run_branch(periode, CLEAN_PARTNER)
    result = run_branch(periode, kode, run_id=f"defect-{defect}")

    assert partner["action"] in ("loaded", "unchanged"), (
        "the clean kab/kota is merged whatever the other sent"
    )
    assert (
        query(
            env["dsn"],
            "SELECT count(*) FROM core.kabkota_month WHERE kode_kabkota = %s AND periode = %s",
            (CLEAN_PARTNER, periode),
        )[0][0]
        == 1
    )
    merged = query(
        env["dsn"],
        "SELECT count(*) FROM core.kabkota_month WHERE kode_kabkota = %s AND periode = %s",
        (kode, periode),
    )[0][0]
    rules = query(
        env["dsn"],
        "SELECT r.rule, r.severity, r.success FROM dq.rule_result r WHERE r.submission_id = %s",
        (result["submission_id"],),
    )
    failed_warnings = {rule for rule, severity, ok in rules if severity == "warning" and not ok}
    if outcome == "loaded":
        assert result["action"] == "loaded", result.get("reasons")
        assert merged == 1
        assert not [r for r, severity, ok in rules if severity == "error" and not ok]
        if warning:
            assert warning in failed_warnings
        return

    assert result["action"] == "rejected"
    assert {r["rule"] for r in result["reasons"] if r["severity"] == "error"} == errors
    assert merged == 0, "nothing of a rejected extract is merged"
    if errors & {r for r, _, _ in rules}:  # rules from the suite (file-level rejections never reach GX)
        assert {r for r, severity, ok in rules if severity == "error" and not ok} == errors
    quarantined = env["root"] / quarantine_key(env["dsn"], result)
    assert quarantined.read_bytes() == landed.read_bytes() == data
    reasons = json.loads((quarantined.parent / "reasons.json").read_text())
    assert {r["rule"] for r in reasons["reasons"] if r["severity"] == "error"} == errors

    mails = env["mailbox"].messages()[mails_before:]
    hooks = env["webhook"].requests[hooks_before:]
    assert len(mails) == 1 and len(hooks) == 1
    text = _mail_text(mails[0])
    payload = hooks[0]["body"].decode()
    for rendered in (text, payload):
        assert kode in rendered and periode in rendered
        for rule in errors:
            assert rule in rendered
        assert not FULL_IDENTIFIER.search(rendered), "an alert carries a full identifier"
    for record in caplog.records:
        assert not FULL_IDENTIFIER.search(record.getMessage()), record.getMessage()


def test_a_sudden_drop_in_rows_is_a_warning_and_still_merged(env, kepri2022):
    kode = "21.72"
    for month in ("2022-01", "2022-02", "2022-03"):  # the history the rule reads (loaded row counts): clean files
        path = source_file(kepri2022, month, kode)
        _land(env["root"], month, kode, path.name, path.read_bytes())
        assert load_without_suite(month, kode)["action"] == "loaded"
    data, suffix = make_defective(
        ROW_COUNT_DEFECT, source_file(kepri2022, "2022-04", kode).read_bytes(), kode
    )
    _land(env["root"], "2022-04", kode, "penyaluran" + suffix, data)
    result = run_branch("2022-04", kode)
    assert result["action"] == "loaded"
    row = query(
        env["dsn"],
        "SELECT success, severity, unexpected_count FROM dq.rule_result "
        "WHERE submission_id = %s AND rule = 'row_count_vs_history'",
        (result["submission_id"],),
    )
    assert row == [(False, "warning", data.count(b"\n") - 1)]
