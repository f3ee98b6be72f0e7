"""Integrity across kab/kota after a month's merges: the same NIK paid the same programme by two kab/kota,
and one NIK in two households. Each file passes its own validation; only the province sees the pair."""

from __future__ import annotations

import io
import json

import pandas as pd

from bansos.orchestration import steps
from tests.pipeline import land, query, run_branch, source_file

PERIODE = "2022-08"


def _csv(df: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    df.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue().encode()


def test_a_nik_paid_by_two_kabkota_and_a_nik_in_two_households_are_found(runtime_env, kepri2022, tmp_path, monkeypatch):
    outbox = tmp_path / "outbox"
    monkeypatch.setenv("BANSOS_ALERT_OUTBOX", str(outbox))
    for name in ("AIRFLOW_CONN_SMTP_DEFAULT", "AIRFLOW_CONN_SLACK_WEBHOOK_DEFAULT"):
        monkeypatch.delenv(name, raising=False)
    steps.prepare_warehouse("21")
    batam = pd.read_csv(source_file(kepri2022, PERIODE, "21.71"), dtype=str, keep_default_na=False)
    bintan = pd.read_csv(source_file(kepri2022, PERIODE, "21.01"), dtype=str, keep_default_na=False)
    jamsos = bintan.index[bintan["kode_program"] == "JAMSOS"]
    # Bintan pays JAMSOS to a Batam JAMSOS recipient (same NIK, sex and birth date; Bintan's own household)
    paid_twice = batam[batam["kode_program"] == "JAMSOS"].iloc[0]
    for column in ("nik", "jenis_kelamin", "tanggal_lahir", "nama"):
        bintan.loc[jamsos[0], column] = paid_twice[column]
    land(runtime_env["root"], kepri2022, PERIODE, "21.71")
    land(runtime_env["root"], kepri2022, PERIODE, "21.01", content=_csv(bintan))
    assert run_branch(PERIODE, "21.71")["action"] == "loaded"
    assert run_branch(PERIODE, "21.01")["action"] == "loaded", "each file is valid on its own"

    result = steps.integrity("21", PERIODE)

    assert result["by_kind"] == {"nik_programme_in_two_kabkota": 1, "nik_in_two_households": 1}
    rows = query(
        runtime_env["dsn"],
        "SELECT kind, kode_program, kabkota, nik_masked, occurrences "
        "FROM dq.integrity_finding WHERE periode = %s ORDER BY kind",
        (PERIODE,),
    )
    masked = paid_twice["nik"][:4] + "*" * 8 + paid_twice["nik"][-4:]
    assert [(k, p, kk, m) for k, p, kk, m, _ in rows] == [
        ("nik_in_two_households", None, ["21.01", "21.71"], masked),
        ("nik_programme_in_two_kabkota", "JAMSOS", ["21.01", "21.71"], masked),
    ]
    occurrences = rows[1][4]
    assert {o["kode_kabkota"] for o in occurrences} == {"21.01", "21.71"}
    assert all(o["source_line"] >= 2 and o["batch_id"] for o in occurrences), "each finding leads to its rows"
    (alert_file,) = outbox.glob("*integrity*.json")
    alert = json.loads(alert_file.read_text())
    assert alert["severity"] == "warning" and alert["periode"] == PERIODE
    text = json.dumps(alert)
    assert masked in text and paid_twice["nik"] not in text and paid_twice["nama"] not in text
    # running the check again replaces the month's findings rather than adding to them
    assert steps.integrity("21", PERIODE)["findings"] == 2
    assert (
        query(runtime_env["dsn"], "SELECT count(*) FROM dq.integrity_finding WHERE periode = %s", (PERIODE,))[0][0] == 2
    )
