"""The correction list a kab/kota office gets for a rejected or warned file, through the real steps.

A file with known defects lands and runs through extract, stage, validate (GX on real PostgreSQL) and
merge. Its correction list must sit beside the quarantine copy (or under ``correction_lists/`` for a file
accepted with warnings) as CSV and XLSX, be linked from the alert, hold one row per offending line and rule
with as many rows per rule as ``dq.rule_result.unexpected_count``, and carry no NIK, No KK, name or birth
date of the source file.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from bansos.domain.config import load_province
from bansos.domain.privacy import FULL_IDENTIFIER
from bansos.orchestration import steps
from bansos.validate.correction_files import HEADER
from bansos.validate.correction_list import HIDDEN_VALUE
from tests.conftest import pipeline_env
from tests.pipeline import quarantine_key, query, run_branch, source_file
from tools.synthetic.defects import make_defective

LONG_DIGITS = re.compile(r"\d{9,}")
PERSONAL = ("nik", "no_kk", "nama", "tanggal_lahir", "alamat")


@pytest.fixture(scope="module")
def env(pg_base, tmp_path_factory):
    with pipeline_env(pg_base, tmp_path_factory, "koreksi") as pipeline:
        pipeline.mp.delenv("BANSOS_ALERT_OUTBOX", raising=False)
        for name in ("AIRFLOW_CONN_SMTP_DEFAULT", "AIRFLOW_CONN_SLACK_WEBHOOK_DEFAULT"):
            pipeline.mp.delenv(name, raising=False)
        yield pipeline


def _frame(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)


def _bytes(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False, lineterminator="\n").encode("utf-8")


def _land(root: Path, periode: str, kode: str, name: str, data: bytes) -> Path:
    folder = root / "landing" / "21" / periode / kode
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return folder / name


def _read_csv(path: Path) -> tuple[list[list[str]], list[dict]]:
    """The summary lines and the rows (as dicts) of a correction list CSV."""
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM, for Excel"
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    start = lines.index(list(HEADER))
    return lines[: start - 1], [dict(zip(HEADER, row, strict=True)) for row in lines[start + 1:]]


def _read_xlsx(path: Path) -> tuple[list[list[str]], list[list]]:
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Ringkasan", "Koreksi"]
    summary = [[c.value for c in row] for row in wb["Ringkasan"].iter_rows()]
    sheet = wb["Koreksi"]
    assert [c.value for c in sheet[1]] == list(HEADER)
    for row in sheet.iter_rows(min_row=2):
        assert row[0].value is None or isinstance(row[0].value, int), "the line number sorts as a number"
        for cell in row[1:]:
            assert cell.number_format == "@", (cell.coordinate, cell.value)
            assert cell.value is None or cell.data_type == "s", (cell.coordinate, cell.value)
    return summary, [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]


def _texts(*paths: Path) -> str:
    """Everything a person could read in the files: the CSV text and every cell of the workbook."""
    out = []
    for path in paths:
        if path.suffix == ".csv":
            out.append(path.read_bytes().decode("utf-8-sig"))
        else:
            wb = openpyxl.load_workbook(path)
            out += [str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
    return "\n".join(out)


def assert_no_personal_data(text: str, source: pd.DataFrame) -> None:
    assert not FULL_IDENTIFIER.search(text), FULL_IDENTIFIER.search(text).group(0)
    assert not LONG_DIGITS.search(text), "a run of 9+ digits: part of an identifier, unmasked"
    for column in PERSONAL:
        for value in set(source[column]) - {""}:
            if column in ("nik", "no_kk") and len(value) < 9:  # a shortened or sci-notation value is not one
                continue
            assert value not in text, f"{column} of the source file is in the correction list"


def _rule_counts(dsn: str, submission_id: int) -> dict[str, int]:
    rows = query(dsn, "SELECT rule, unexpected_count FROM dq.rule_result WHERE submission_id = %s AND NOT success "
                      "AND rule <> 'row_count_vs_history'", (submission_id,))
    return dict(rows)


def _alert(dsn: str, kind: str, submission_id: int) -> dict:
    [(payload,)] = query(dsn, "SELECT payload FROM dq.alert WHERE dedup_key = %s", (f"{kind}:{submission_id}",))
    return payload


def _linked(root: Path, uri: str) -> Path:
    assert uri.startswith(root.as_uri() + "/"), uri
    return root / uri[len(root.as_uri()) + 1:]


def _defective(kepri2022: Path, periode: str, kode: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The clean source rows, and a copy with known defects on known lines (line = index + 2)."""
    clean = _frame(source_file(kepri2022, periode, kode).read_bytes())
    bad = clean.copy()
    for i in (0, 1, 2):
        bad.loc[i, "nik"] = bad.loc[i, "nik"][:15]  # nik_format, value shown masked
    for i in (1, 5):
        bad.loc[i, "nominal"] = f"{int(bad.loc[i, 'nominal']):,}".replace(",", ".")  # nominal_in_rules, shown
    bad.loc[3, "nama"] = ""  # required_nama
    bad.loc[4, "tanggal_lahir"] = bad.loc[4, "tanggal_lahir"].replace("-", "/")  # tanggal_lahir_valid: hidden
    bad.loc[6, "no_kk"] = f"{float(bad.loc[6, 'no_kk']):.2E}"  # no_kk_scientific_notation
    bad.loc[7, "jenis_kelamin"] = "X"  # jenis_kelamin_valid
    bad = pd.concat([bad, bad.iloc[[8]]], ignore_index=True)  # the household twice: lines 10 and the last
    return clean, bad


def test_a_rejected_file_lists_every_offending_line(env, kepri2022):
    periode, kode = "2022-01", "21.05"
    clean, bad = _defective(kepri2022, periode, kode)
    _land(env.root, periode, kode, "penyaluran_anambas_jan.csv", _bytes(bad))

    result = run_branch(periode, kode, run_id="koreksi-rejected")

    assert result["action"] == "rejected"
    quarantined = env.root / quarantine_key(env.dsn, result)
    csv_path = quarantined.parent / "koreksi_penyaluran_anambas_jan.csv"
    xlsx_path = quarantined.parent / "koreksi_penyaluran_anambas_jan.xlsx"
    summary, rows = _read_csv(csv_path)
    xlsx_summary, xlsx_rows = _read_xlsx(xlsx_path)

    counts = _rule_counts(env.dsn, result["submission_id"])
    assert {"nik_format", "nominal_in_rules", "required_nama", "tanggal_lahir_valid", "no_kk_scientific_notation",
            "jenis_kelamin_valid", "household_programme_unique", "nik_programme_unique"} <= set(counts)
    listed = {rule: sum(r["aturan"] == rule for r in rows) for rule in counts}
    assert listed == counts, "one row per offending line, as many as GX counted per rule"
    assert len(rows) == sum(counts.values()) == len(xlsx_rows)
    assert [[str(v) if v is not None else "" for v in r] for r in xlsx_rows] == [list(r.values()) for r in rows]

    by = {(int(r["baris"]), r["aturan"]): r for r in rows}
    assert [int(r["baris"]) for r in rows] == sorted(int(r["baris"]) for r in rows)
    assert {line for line, rule in by if rule == "nik_format"} == {2, 3, 4}
    nik = clean.loc[0, "nik"]
    assert by[(2, "nik_format")]["nilai"] == nik[:4] + "*" * 7 + nik[11:15]  # the 15 digits sent, masked
    assert by[(2, "nik_format")]["kolom"] == "nik"
    assert by[(3, "nominal_in_rules")]["nilai"] == bad.loc[1, "nominal"], "a non-identifying value is shown"
    assert by[(5, "required_nama")]["nilai"] == "(kosong)" and by[(5, "required_nama")]["kolom"] == "nama"
    assert by[(6, "tanggal_lahir_valid")]["nilai"] == HIDDEN_VALUE
    assert by[(9, "jenis_kelamin_valid")]["nilai"] == "X"
    assert by[(2, "nik_format")]["perbaikan"].startswith("Tulis NIK 16 digit")
    assert by[(2, "nik_format")]["tingkat"] == "error"
    last = len(bad) + 1
    assert {line for line, rule in by if rule == "household_programme_unique"} == {10, last}

    summary_text = "\n".join(",".join(line) for line in summary)
    assert f"{len(rows)} baris" in summary_text and "ditampilkan" not in summary_text, "not capped"
    assert "Aturan nik_format (error),3 baris; kolom nik;" in summary_text
    assert any(row[0] == "Status" and row[1].startswith("DITOLAK") for row in xlsx_summary)
    assert_no_personal_data(_texts(csv_path, xlsx_path), clean)

    alert = _alert(env.dsn, "rejected", result["submission_id"])
    assert _linked(env.root, alert["links"]["Daftar koreksi"]) == xlsx_path
    assert _linked(env.root, alert["links"]["Daftar koreksi (CSV)"]) == csv_path
    [outbox] = [json.loads(p.read_text()) for p in (env.root / "outbox").glob("*_rejected_*.json")
                if json.loads(p.read_text())["kode_kabkota"] == kode]
    assert outbox["links"]["Daftar koreksi"] == alert["links"]["Daftar koreksi"]
    assert not query(env.dsn, "SELECT tablename FROM pg_tables WHERE schemaname = 'staging'"), "staging dropped"


def test_the_list_is_capped_and_states_the_total(env, kepri2022, monkeypatch):
    periode, kode = "2022-02", "21.05"
    province = load_province("21")
    monkeypatch.setattr(steps, "load_province", lambda kode: dataclasses.replace(province, correction_max_rows=25))
    data, _ = make_defective("kabkota_mismatch", source_file(kepri2022, periode, kode).read_bytes(), kode)
    _land(env.root, periode, kode, "penyaluran.csv", data)

    result = run_branch(periode, kode, run_id="koreksi-capped")

    assert result["action"] == "rejected"
    total = _rule_counts(env.dsn, result["submission_id"])["kabkota_matches_folder"]
    assert total == len(_frame(data)) > 25
    folder = (env.root / quarantine_key(env.dsn, result)).parent
    summary, rows = _read_csv(folder / "koreksi_penyaluran.csv")
    xlsx_summary, xlsx_rows = _read_xlsx(folder / "koreksi_penyaluran.xlsx")
    assert len(rows) == len(xlsx_rows) == 25
    assert [int(r["baris"]) for r in rows] == list(range(2, 27)), "the first lines of the file"
    shown = f"ditampilkan 25 dari {total:,} baris".replace(",", ".")
    assert any(shown in line[1] for line in summary), summary
    assert any(shown in str(row[1]) for row in xlsx_summary)
    assert any(line[0] == "Aturan kabkota_matches_folder (error)" and line[1].startswith(
        f"{total:,} baris".replace(",", ".")) for line in summary), "the rule's total, not the shown rows"


def test_a_contract_rejection_gives_its_one_row_list(env, kepri2022):
    periode, kode = "2022-03", "21.05"
    source = source_file(kepri2022, periode, kode).read_bytes()
    data, _ = make_defective("ragged_rows", source, kode)
    _land(env.root, periode, kode, "penyaluran.csv", data)

    result = run_branch(periode, kode, run_id="koreksi-contract")

    assert result["action"] == "rejected" and [r["rule"] for r in result["reasons"]] == ["ragged_rows"]
    folder = (env.root / quarantine_key(env.dsn, result)).parent
    _, rows = _read_csv(folder / "koreksi_penyaluran.csv")
    _, xlsx_rows = _read_xlsx(folder / "koreksi_penyaluran.xlsx")
    assert len(rows) == 1 and len(xlsx_rows) == 1
    assert rows[0]["baris"] == "4" and xlsx_rows[0][0] == 4, "the line COPY named: the file's 4th, header line 1"
    assert rows[0]["aturan"] == "ragged_rows" and rows[0]["kolom"] == "(seluruh file)"
    assert rows[0]["perbaikan"].startswith("Baris 4: jumlah kolom")
    alert = _alert(env.dsn, "rejected", result["submission_id"])
    assert _linked(env.root, alert["links"]["Daftar koreksi"]) == folder / "koreksi_penyaluran.xlsx"
    assert_no_personal_data(_texts(folder / "koreksi_penyaluran.csv", folder / "koreksi_penyaluran.xlsx"),
                            _frame(source))


def test_a_warned_file_is_merged_and_gets_its_list(env, kepri2022):
    periode, kode = "2022-04", "21.05"
    source = source_file(kepri2022, periode, kode).read_bytes()
    data, _ = make_defective("nik_other_kabkota", source, kode)
    df = _frame(data).assign(keterangan="cek")  # a column outside the template: the unknown_columns warning
    _land(env.root, periode, kode, "penyaluran_2171015505800002.csv", _bytes(df))
    clean_periode, clean_kode = "2022-04", "21.03"
    clean = source_file(kepri2022, clean_periode, clean_kode)
    _land(env.root, clean_periode, clean_kode, clean.name, clean.read_bytes())

    result = run_branch(periode, kode, run_id="koreksi-warned")
    clean_result = run_branch(clean_periode, clean_kode, run_id="koreksi-clean")

    assert result["action"] == "loaded" and clean_result["action"] == "loaded"
    [(sha,)] = query(env.dsn, "SELECT sha256 FROM raw.submission WHERE submission_id = %s", (result["submission_id"],))
    folder = env.root / "correction_lists" / "21" / periode / kode / sha
    name = "koreksi_penyaluran_2171xxxxxxxx0002"  # a NIK in the file name is masked in the list's name
    summary, rows = _read_csv(folder / f"{name}.csv")
    _, xlsx_rows = _read_xlsx(folder / f"{name}.xlsx")
    counts = _rule_counts(env.dsn, result["submission_id"])
    assert counts["nik_region_other_kabkota"] == 2
    assert {rule: sum(r["aturan"] == rule for r in rows) for rule in counts} == counts | {"unknown_columns": 1}
    assert len(xlsx_rows) == len(rows)
    unknown = next(r for r in rows if r["aturan"] == "unknown_columns")
    assert unknown["baris"] == "" and "keterangan" in unknown["perbaikan"] and unknown["tingkat"] == "peringatan"
    other = [r for r in rows if r["aturan"] == "nik_region_other_kabkota"]
    assert [r["baris"] for r in other] == ["2", "3"] and all(r["tingkat"] == "peringatan" for r in other)
    assert any(line[0] == "Status" and line[1].startswith("DITERIMA dengan peringatan") for line in summary)
    assert not any("2171015505800002" in ",".join(line) for line in summary), "the file name is masked"
    assert_no_personal_data(_texts(folder / f"{name}.csv", folder / f"{name}.xlsx"), _frame(data))
    assert not (env.root / "quarantine" / "21" / periode / kode).exists(), "a merged file is not quarantined"

    alert = _alert(env.dsn, "warned", result["submission_id"])
    assert alert["severity"] == "warning" and alert["summary"].startswith("Extract")
    assert {r["rule"] for r in alert["rules"]} == {"unknown_columns", "nik_region_other_kabkota"}
    assert _linked(env.root, alert["links"]["Daftar koreksi"]) == folder / f"{name}.xlsx"
    assert alert["links"]["Data Docs"].startswith(env.root.as_uri())
    assert any(p.name.endswith(f"_warned_21_{periode}_{kode}.json") for p in (env.root / "outbox").iterdir())

    assert not (env.root / "correction_lists" / "21" / clean_periode / clean_kode).exists(), "a clean file: no list"
    assert query(env.dsn, "SELECT count(*) FROM dq.alert WHERE dedup_key = %s",
                 (f"warned:{clean_result['submission_id']}",)) == [(0,)]
