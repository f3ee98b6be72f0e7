"""What kab/kota offices really send: Excel's semicolons, Windows code pages, BOMs and workbooks are
read correctly; a misspelt header, an empty file, ragged rows and Excel-mangled NIKs are rejected
with a reason the office understands."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest

from bansos.orchestration import steps
from tests.pipeline import land, query, run_branch, source_file

PERIODE, KODE = "2022-05", "21.05"


@pytest.fixture
def frame(kepri2022) -> pd.DataFrame:
    df = pd.read_csv(source_file(kepri2022, PERIODE, KODE), dtype=str, keep_default_na=False)
    df.loc[0, "nama"] = "ZULKARNAÉN"  # a name that is not ASCII
    return df


def _landed_then_run(runtime_env, kepri2022, content: bytes, name: str = "penyaluran.csv") -> dict:
    steps.prepare_warehouse("21")
    land(runtime_env["root"], kepri2022, PERIODE, KODE, name=name, content=content)
    return run_branch(PERIODE, KODE)


def _loaded_rows(dsn: str) -> int:
    return query(dsn, "SELECT count(*) FROM core.distribution_current")[0][0]


def _semicolon(df):
    return df.to_csv(index=False, sep=";", lineterminator="\r\n").encode("utf-8")


def _cp1252(df):
    return df.to_csv(index=False, lineterminator="\r\n").encode("cp1252")


def _bom(df):
    return b"\xef\xbb\xbf" + df.to_csv(index=False).encode("utf-8")


def _reordered_with_extra(df):
    cols = list(df.columns)[::-1]
    out = df[cols].copy()
    out["catatan_petugas"] = "ok"
    return out.drop(columns=["alamat"]).to_csv(index=False).encode("utf-8")


@pytest.mark.parametrize(
    "encode",
    [_semicolon, _cp1252, _bom, _reordered_with_extra],
    ids=["semicolon-crlf", "cp1252", "utf8-bom", "reordered-extra-column"],
)
def test_excel_flavoured_csv_is_read_correctly(encode, frame, runtime_env, kepri2022):
    result = _landed_then_run(runtime_env, kepri2022, encode(frame))
    assert result["action"] == "loaded"
    assert _loaded_rows(runtime_env["dsn"]) == len(frame)


def test_xlsx_workbook_is_read_correctly(frame, runtime_env, kepri2022):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    result = _landed_then_run(runtime_env, kepri2022, buf.getvalue(), name="penyaluran.xlsx")
    assert result["action"] == "loaded"
    assert _loaded_rows(runtime_env["dsn"]) == len(frame)


def _rejected(result: dict) -> list[str]:
    assert result["action"] == "rejected", result
    return [r["rule"] for r in result["reasons"] if r["severity"] == "error"]


def test_misspelt_header_is_rejected_with_the_column_named(frame, runtime_env, kepri2022):
    content = frame.rename(columns={"no_kk": "nomor_kk", "nik": "nik "}).to_csv(index=False).encode()
    result = _landed_then_run(runtime_env, kepri2022, content)
    assert _rejected(result) == ["missing_columns"]
    assert "'no_kk'" in result["reasons"][0]["description"]


@pytest.mark.parametrize("content,rule", [(b"", "empty_file"), (b"\r\n\r\n", "empty_file")])
def test_empty_file_is_rejected(content, rule, runtime_env, kepri2022):
    assert _rejected(_landed_then_run(runtime_env, kepri2022, content)) == [rule]


def test_header_only_file_is_rejected(frame, runtime_env, kepri2022):
    content = (",".join(frame.columns) + "\n").encode()
    assert _rejected(_landed_then_run(runtime_env, kepri2022, content)) == ["no_rows"]


def test_ragged_rows_are_rejected_with_the_line(frame, runtime_env, kepri2022):
    lines = frame.to_csv(index=False).splitlines(keepends=True)
    lines[3] = lines[3].rstrip("\n") + ",surplus\n"
    result = _landed_then_run(runtime_env, kepri2022, "".join(lines).encode())
    assert _rejected(result) == ["ragged_rows"]
    assert result["reasons"][0]["description"].startswith("Baris 4:")


def test_nik_in_scientific_notation_is_rejected(frame, runtime_env, kepri2022):
    frame.loc[2, "nik"] = "3.17101E+15"
    result = _landed_then_run(runtime_env, kepri2022, frame.to_csv(index=False).encode())
    assert _rejected(result) == ["nik_scientific_notation"]
