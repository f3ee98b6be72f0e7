"""Fault: a file the pipeline cannot read (a corrupt or empty workbook, a zip bomb, a header over
PostgreSQL's column limit, an over-long line, NUL bytes). Each is rejected through the ordinary path
(``steps.extract`` then ``steps.stage``, as the DAG's task calls them), with its rule code and a reason
in Indonesian; the file is quarantined byte for byte and alerted; the task does not raise; the other
kab/kota of the month are untouched. The limits are ``bansos.domain.limits``'; the hostile files are built here.
"""

from __future__ import annotations

import io
import json
import zipfile

import openpyxl
import pandas as pd
import pytest

from bansos.orchestration import steps
from tests.conftest import frozen_state
from tests.pipeline import land, quarantine_key, query, run_branch, snapshot, source_file

PERIODE, KODE, NEIGHBOUR = "2022-08", "21.71", "21.05"
SHEET = "xl/worksheets/sheet1.xml"


@pytest.fixture
def good_csv(kepri2022) -> bytes:
    return source_file(kepri2022, PERIODE, KODE).read_bytes()


def _neighbour_loaded(env, kepri2022) -> None:
    steps.prepare_warehouse("21")
    land(env.root, kepri2022, PERIODE, NEIGHBOUR)
    assert run_branch(PERIODE, NEIGHBOUR)["action"] == "loaded"


@pytest.fixture(scope="module")
def neighbour_month(pg_base, tmp_path_factory, kepri2022):
    """The neighbour's month loaded once for the module, frozen: each test starts from a copy of it."""
    return frozen_state(pg_base, tmp_path_factory, "hostile_neighbour",
                        lambda env: _neighbour_loaded(env, kepri2022))


@pytest.fixture
def runtime_env(pg_base, runtime_env, neighbour_month, monkeypatch):
    """The test's warehouse and data root: the neighbour's month loaded (a copy of the module's)."""
    neighbour_month.restore_into(pg_base, runtime_env, monkeypatch)
    return runtime_env


@pytest.fixture(scope="module")
def good_xlsx(kepri2022) -> bytes:
    frame = pd.read_csv(source_file(kepri2022, PERIODE, KODE), dtype=str, keep_default_na=False)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append(list(row))
    buf = io.BytesIO()
    workbook.save(buf)
    return buf.getvalue()


def rezip(xlsx: bytes, change) -> bytes:
    """The workbook's zip with each part passed through ``change(name, data)`` (None leaves it out)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for part in src.infolist():
            data = change(part.filename, src.read(part))
            if data is not None:
                dst.writestr(part.filename, data)
    return out.getvalue()


@pytest.fixture
def openpyxl_calls(monkeypatch) -> list:
    """Records any call of ``openpyxl.load_workbook`` and fails it: a check that must come before parsing."""
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise AssertionError("openpyxl was asked to parse the workbook")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)
    return calls


def reject_through_the_pipeline(runtime_env, kepri2022, content: bytes, name: str) -> dict:
    """With the neighbour's month loaded (``runtime_env``), land the hostile file, run extract and stage;
    check the rejection path."""
    dsn, root = runtime_env["dsn"], runtime_env["root"]
    steps.prepare_warehouse("21")
    before = {k: v for k, v in snapshot(dsn).items() if k != "submission"}
    landed = land(root, kepri2022, PERIODE, KODE, name=name, content=content)

    result = steps.stage(steps.extract("21", PERIODE, KODE), "test")  # the task's two steps: it must not raise

    assert result["action"] == "rejected", result
    [reason] = result["reasons"]
    assert query(dsn, "SELECT status FROM raw.submission WHERE kode_kabkota = %s", (KODE,)) == [("rejected",)]
    quarantined = root / quarantine_key(dsn, result)
    assert quarantined.read_bytes() == landed.read_bytes() == content, "the quarantine copy is not the file"
    note = json.loads((quarantined.parent / "reasons.json").read_text(encoding="utf-8"))
    assert [r["rule"] for r in note["reasons"]] == [reason["rule"]]
    alerts = [p.read_text(encoding="utf-8") for p in (root / "outbox").rglob("*.json")]
    assert any(reason["rule"] in text and KODE in text for text in alerts), "no rejection alert"
    assert {k: v for k, v in snapshot(dsn).items() if k != "submission"} == before, "another kab/kota moved"
    assert query(dsn, "SELECT status FROM raw.submission WHERE kode_kabkota = %s", (NEIGHBOUR,)) == [("accepted",)]
    return reason


def test_a_workbook_with_a_corrupt_sheet_is_rejected(runtime_env, kepri2022, good_xlsx):
    """Fault: the sheet's XML inside a valid zip is cut off and ends in garbage."""
    content = rezip(good_xlsx, lambda n, d: d[: len(d) // 2] + b"<<garbage" if n == SHEET else d)
    reason = reject_through_the_pipeline(runtime_env, kepri2022, content, "rusak.xlsx")
    assert reason["rule"] == "unreadable_xlsx" and "tidak dapat dibaca" in reason["description"]


def test_a_workbook_without_a_worksheet_is_rejected(runtime_env, kepri2022, good_xlsx):
    """Fault: a workbook whose list of sheets is empty."""

    def no_sheets(name, data):
        if name != "xl/workbook.xml":
            return data
        return data[: data.index(b"<sheets>")] + b"<sheets/>" + data[data.index(b"</sheets>") + 9 :]

    reason = reject_through_the_pipeline(runtime_env, kepri2022, rezip(good_xlsx, no_sheets), "kosong.xlsx")
    assert reason["rule"] == "no_worksheet"


def _with_extra_columns(csv_bytes: bytes, extra: int) -> bytes:
    lines = csv_bytes.decode().splitlines()
    header = lines[0] + "".join(f",tambahan_{i}" for i in range(extra))
    return "\n".join([header] + [line + "," * extra for line in lines[1:]]).encode() + b"\n"


def test_a_csv_over_postgresqls_column_limit_is_rejected(runtime_env, kepri2022, good_csv):
    """Fault: 1,700 columns, more than a PostgreSQL table can have (1,600)."""
    content = _with_extra_columns(good_csv, 1700 - 16)
    reason = reject_through_the_pipeline(runtime_env, kepri2022, content, "lebar.csv")
    assert reason["rule"] == "too_many_columns" and "1700 kolom" in reason["description"]


def test_a_csv_over_the_configured_column_limit_is_rejected(runtime_env, kepri2022, good_csv, monkeypatch):
    """Fault: 40 columns where the deployment allows 30 (``BANSOS_MAX_COLUMNS``)."""
    monkeypatch.setenv("BANSOS_MAX_COLUMNS", "30")
    reason = reject_through_the_pipeline(runtime_env, kepri2022, _with_extra_columns(good_csv, 24), "lebar.csv")
    assert reason["rule"] == "too_many_columns" and "batas 30 kolom" in reason["description"]


def test_an_overlong_line_is_rejected(runtime_env, kepri2022, good_csv):
    """Fault: one row whose address is longer than the 1 MiB line limit (PostgreSQL's COPY stops at 1 GB)."""
    frame = pd.read_csv(io.BytesIO(good_csv), dtype=str, keep_default_na=False)
    frame.loc[2, "alamat"] = "JL " + "A" * (1 << 20)
    reason = reject_through_the_pipeline(runtime_env, kepri2022, frame.to_csv(index=False).encode(), "panjang.csv")
    assert reason["rule"] == "line_too_long" and reason["description"].startswith("Baris 4 ")


def test_nul_bytes_in_a_csv_are_rejected(runtime_env, kepri2022, good_csv):
    """Fault: a NUL byte inside a name, as a damaged copy or a UTF-16 export carries."""
    lines = good_csv.split(b"\n")
    lines[5] = lines[5].replace(b",", b",\x00", 1)
    reason = reject_through_the_pipeline(runtime_env, kepri2022, b"\n".join(lines), "nul.csv")
    assert reason["rule"] == "nul_bytes" and reason["description"].startswith("Baris 6:")


def test_a_zip_bomb_workbook_is_rejected_before_it_is_parsed(runtime_env, kepri2022, good_xlsx, openpyxl_calls):
    """Fault: a 300 KB workbook whose sheet unzips to 256 MiB (a zip bomb)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good_xlsx)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for part in src.infolist():
            if part.filename != SHEET:
                dst.writestr(part.filename, src.read(part))
                continue
            sheet = src.read(part)
            cut = sheet.index(b"</row>") + len(b"</row>")
            with dst.open(SHEET, "w", force_zip64=True) as bomb:
                bomb.write(sheet[:cut])
                for _ in range(256):
                    bomb.write(b" " * (1 << 20))
                bomb.write(sheet[sheet.index(b"</sheetData>") :])
    content = out.getvalue()
    assert len(content) < 400_000, len(content)
    reason = reject_through_the_pipeline(runtime_env, kepri2022, content, "bom.xlsx")
    assert reason["rule"] == "xlsx_too_large" and "rasio" in reason["description"]
    assert openpyxl_calls == [], "the workbook was parsed before its size was checked"


def test_a_workbook_over_the_configured_unzipped_size_is_rejected(
    runtime_env, kepri2022, good_xlsx, monkeypatch, openpyxl_calls
):
    """Fault: an ordinary workbook larger, unzipped, than the deployment allows."""
    with zipfile.ZipFile(io.BytesIO(good_xlsx)) as package:
        unzipped = sum(p.file_size for p in package.infolist())
    monkeypatch.setenv("BANSOS_XLSX_MAX_UNCOMPRESSED_BYTES", str(unzipped // 2))
    reason = reject_through_the_pipeline(runtime_env, kepri2022, good_xlsx, "besar.xlsx")
    assert reason["rule"] == "xlsx_too_large" and f"{unzipped} byte" in reason["description"]
    assert openpyxl_calls == []


def test_a_sheet_declaring_billions_of_cells_is_rejected_before_it_is_parsed(
    runtime_env, kepri2022, good_xlsx, openpyxl_calls
):
    """Fault: a sheet whose dimension spans every cell Excel allows (A1:XFD1048576, 17 billion)."""

    def whole_grid(name, data):
        if name != SHEET:
            return data
        start = data.index(b'<dimension ref="') + len(b'<dimension ref="')
        return data[:start] + b"A1:XFD1048576" + data[data.index(b'"', start) :]

    reason = reject_through_the_pipeline(runtime_env, kepri2022, rezip(good_xlsx, whole_grid), "grid.xlsx")
    assert reason["rule"] == "too_many_cells" and "17179869184 sel" in reason["description"]
    assert openpyxl_calls == []
