"""Every file a kab/kota sends is answered, whatever its format, through the real steps on real PostgreSQL.

Excel's "Unicode Text" (UTF-16 with a BOM, tab-separated) loads the same rows as the CSV it was saved
from; text is read by its content whatever the name (a ``.txt``, Excel's tab-delimited text, a CSV
named ``.xls``). Anything else (an old ``.xls``, a PDF, binary garbage, an archive, a web page) is
rejected as ``unsupported_format`` with what to send instead, quarantined byte for byte and alerted,
and the report after the deadline calls the kab/kota ``rejected``, never ``missing``. A cover letter
beside the extract never keeps the extract from loading.
"""

from __future__ import annotations

import io
import json
import random
import time
import zipfile

import pandas as pd
import pytest

from bansos.orchestration import steps
from tests.pipeline import land, load_without_suite, quarantine_key, query, run_branch, source_file

PERIODE, KODE = "2022-05", "21.05"
ADVICE = "Simpan sebagai CSV UTF-8 atau XLSX"


@pytest.fixture
def frame(kepri2022) -> pd.DataFrame:
    df = pd.read_csv(source_file(kepri2022, PERIODE, KODE), dtype=str, keep_default_na=False)
    df.loc[0, "alamat"] = "JL. ZULKARNAÉN Ω 𝄞"  # beyond Windows-1252, and beyond the BMP (a surrogate pair)
    return df


def unicode_text(df: pd.DataFrame, codec: str = "utf-16-le") -> bytes:
    """What Excel's Save As "Unicode Text (*.txt)" writes: a BOM, then UTF-16 tab-separated lines with CRLF."""
    bom = b"\xff\xfe" if codec == "utf-16-le" else b"\xfe\xff"
    return bom + df.to_csv(index=False, sep="\t", lineterminator="\r\n").encode(codec)


def _run(runtime_env, kepri2022, content: bytes, name: str) -> dict:
    steps.prepare_warehouse("21")
    land(runtime_env["root"], kepri2022, PERIODE, KODE, name=name, content=content)
    return run_branch(PERIODE, KODE)


def _batch_rows(dsn: str, submission_id: int) -> list:
    """The loaded rows of one submission, as the warehouse holds them (pseudonymised), less the batch id."""
    return [row for (row,) in query(
        dsn, "SELECT to_jsonb(d) - 'batch_id' FROM core.distribution d JOIN core.load_batch b USING (batch_id) "
             "WHERE b.submission_id = %s ORDER BY d.source_line", (submission_id,))]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_a_unicode_text_export_loads_the_same_rows_as_its_csv(codec, frame, runtime_env, kepri2022):
    dsn = runtime_env["dsn"]
    from_unicode = _run(runtime_env, kepri2022, unicode_text(frame, codec), "penyaluran_unicode.txt")
    assert from_unicode["action"] == "loaded" and from_unicode["rows"] == len(frame)
    land(runtime_env["root"], kepri2022, PERIODE, KODE, name="penyaluran.csv",
         content=frame.to_csv(index=False).encode("utf-8"))
    from_csv = load_without_suite(PERIODE, KODE)  # the reference: the suite ran on these rows just above
    assert from_csv["action"] == "loaded" and from_csv["replaced_batch_id"] is not None
    unicode_rows = _batch_rows(dsn, from_unicode["submission_id"])
    csv_rows = _batch_rows(dsn, from_csv["submission_id"])
    assert len(unicode_rows) == len(frame) and unicode_rows == csv_rows


def test_the_extract_task_hands_on_the_unicode_text_format(frame, runtime_env, kepri2022):
    steps.prepare_warehouse("21")
    land(runtime_env["root"], kepri2022, PERIODE, KODE, name="penyaluran.txt", content=unicode_text(frame))
    staged = steps.stage(steps.extract("21", PERIODE, KODE), "t")
    assert (staged["format"], staged["encoding"], staged["delimiter"], staged["rows"]) == (
        "utf16", "UTF8", "\t", len(frame))


def _rejected(result: dict) -> dict:
    assert result["action"] == "rejected", result
    [reason] = [r for r in result["reasons"] if r["severity"] == "error"]
    return reason


def test_unicode_text_that_does_not_decode_is_rejected_with_its_line_and_what_to_send(frame, runtime_env, kepri2022):
    data = unicode_text(frame)
    cut = data.index("\r\n".encode("utf-16-le"), 2) + 4  # the start of line 2
    for _ in range(3):
        cut = data.index("\r\n".encode("utf-16-le"), cut) + 4  # ... of line 5
    reason = _rejected(_run(runtime_env, kepri2022, data[:cut] + b"\x00\xdc" + data[cut:], "unicode.txt"))
    assert reason["rule"] == "bad_encoding" and reason["description"].startswith("Baris 5:")
    assert ADVICE in reason["description"]


def test_unicode_text_that_is_not_the_template_says_so_and_what_to_send(runtime_env, kepri2022):
    note = "Mohon maaf, data bulan ini menyusul minggu depan.\r\nTerima kasih.\r\n"
    reason = _rejected(_run(runtime_env, kepri2022, b"\xff\xfe" + note.encode("utf-16-le"), "catatan.txt"))
    assert reason["rule"] == "missing_columns"
    assert "bukan ekstrak" in reason["description"] and "UTF-16" in reason["description"]
    assert ADVICE in reason["description"]


def _tab_delimited_cp1252(df):
    return df.assign(alamat="JL. ZULKARNAÉN").to_csv(index=False, sep="\t", lineterminator="\r\n").encode("cp1252")


@pytest.mark.parametrize("name,encode", [
    ("penyaluran.txt", lambda df: df.to_csv(index=False).encode("utf-8")),
    ("penyaluran_tab.txt", _tab_delimited_cp1252),  # Excel's "Text (Tab delimited)"
    ("penyaluran.xls", lambda df: df.to_csv(index=False, sep=";").encode("utf-8")),  # a CSV renamed .xls
], ids=["utf8-txt", "excel-tab-delimited", "csv-named-xls"])
def test_text_is_read_by_its_content_whatever_its_name(name, encode, frame, runtime_env, kepri2022):
    result = _run(runtime_env, kepri2022, encode(frame), name)
    assert result["action"] == "loaded" and result["rows"] == len(frame)


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for i, (name, data) in enumerate(entries.items()):
            method = zipfile.ZIP_STORED if i == 0 else zipfile.ZIP_DEFLATED  # OpenDocument's mimetype: first, stored
            z.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return buf.getvalue()


def _xls() -> bytes:
    """The first sector of an Excel 97-2003 workbook: the OLE2 header, then a directory naming its Workbook stream."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16) + b"\x3e\x00\x03\x00\xfe\xff\x09\x00" + bytes(488)
    directory = b"".join(name.encode("utf-16-le").ljust(128, b"\x00") for name in ("Root Entry", "Workbook"))
    return header + directory + bytes(2048)


PDF = (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
       b"trailer\n<< /Root 1 0 R >>\n%%EOF\n")
UNREAD = {
    "xls": ("penyaluran_mei.xls", _xls(), "workbook Excel 97-2003 (.xls)"),
    "pdf": ("penyaluran_mei.pdf", PDF, "dokumen PDF"),
    "garbage-txt": ("penyaluran_mei.txt", random.Random(11).randbytes(3000), "data biner"),
    "zip": ("penyaluran_mei.zip", _zip({"penyaluran.csv": b"periode\n", "surat.pdf": PDF}), "arsip ZIP berisi 2 file"),
    "ods": ("penyaluran_mei.ods", _zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
                                         "content.xml": b"<office:document-content/>"}), "OpenDocument (.ods"),
    "html": ("penyaluran_mei.xls", b"<html><body><table><tr><td>periode</td></tr></table></body></html>",
             "halaman web (HTML)"),
}


@pytest.mark.parametrize("kind", list(UNREAD))
def test_a_file_in_a_format_not_read_is_rejected_quarantined_alerted_and_never_missing(kind, runtime_env, kepri2022):
    dsn, root = runtime_env["dsn"], runtime_env["root"]
    name, content, found = UNREAD[kind]
    result = _run(runtime_env, kepri2022, content, name)
    reason = _rejected(result)
    assert reason["rule"] == "unsupported_format"
    assert found in reason["description"] and ADVICE in reason["description"]
    assert "(Unsupported format:" in reason["description"], "with the English gloss"

    key = quarantine_key(dsn, result)
    assert (root / key).read_bytes() == content, "the quarantine copy is the file as sent, byte for byte"
    reasons = json.loads((root / key).parent.joinpath("reasons.json").read_text())
    assert [r["rule"] for r in reasons["reasons"]] == ["unsupported_format"]

    alerts = query(dsn, "SELECT a.kind, a.payload, bool_and(d.delivered_at IS NOT NULL) FROM dq.alert a "
                        "JOIN dq.alert_delivery d USING (alert_id) WHERE a.kode_kabkota = %s "
                        "GROUP BY a.alert_id ORDER BY a.alert_id", (KODE,))
    [(alert_kind, payload, delivered)] = alerts
    assert alert_kind == "rejected" and delivered
    assert [r["rule"] for r in payload["rules"]] == ["unsupported_format"]

    states = steps.report("21", PERIODE)  # long after the deadline of May 2022
    assert states[KODE] == "rejected"
    missing = dict(query(dsn, "SELECT kode_kabkota, count(*) FROM dq.alert WHERE kind = 'missing' "
                              "GROUP BY kode_kabkota"))
    assert KODE not in missing, "a kab/kota that sent a file is never alerted as missing"
    assert missing.get("21.71") == 1, "the report did alert the kab/kota that sent nothing"


@pytest.mark.parametrize("letter_last", [True, False], ids=["letter-after", "letter-before"])
def test_a_cover_letter_beside_the_extract_is_answered_and_never_takes_its_place(letter_last, frame, runtime_env,
                                                                                  kepri2022):
    """An office sends its extract with a signed cover letter (a PDF), in either order, before the run."""
    dsn, root = runtime_env["dsn"], runtime_env["root"]
    steps.prepare_warehouse("21")
    files = [("penyaluran.csv", frame.to_csv(index=False).encode("utf-8")), ("surat_pengantar.pdf", PDF)]
    for name, content in files[:: 1 if letter_last else -1]:
        land(root, kepri2022, PERIODE, KODE, name=name, content=content)
        time.sleep(0.01)  # placed one after the other, as a copy does
    result = run_branch(PERIODE, KODE)
    assert result["action"] == "loaded" and result["rows"] == len(frame)
    statuses = dict(query(dsn, "SELECT regexp_replace(source_uri, '.*/', ''), status FROM raw.submission"))
    assert statuses == {"penyaluran.csv": "accepted", "surat_pengantar.pdf": "rejected"}
    [(rules,)] = query(dsn, "SELECT payload->'rules' FROM dq.alert WHERE kind = 'rejected' AND kode_kabkota = %s",
                       (KODE,))
    assert [r["rule"] for r in rules] == ["unsupported_format"]
    assert steps.report("21", PERIODE)[KODE] == "loaded"
    assert run_branch(PERIODE, KODE)["action"] == "unchanged", "a second run finds nothing left to answer"
    assert query(dsn, "SELECT count(*) FROM dq.alert WHERE kind = 'rejected'") == [(1,)]


def test_a_file_not_read_after_the_month_loaded_is_rejected_and_the_month_stays(frame, runtime_env, kepri2022):
    dsn = runtime_env["dsn"]
    assert _run(runtime_env, kepri2022, frame.to_csv(index=False).encode(), "penyaluran.csv")["action"] == "loaded"
    land(runtime_env["root"], kepri2022, PERIODE, KODE, name="koreksi.xls", content=_xls())
    assert _rejected(run_branch(PERIODE, KODE))["rule"] == "unsupported_format"
    assert query(dsn, "SELECT count(*) FROM core.distribution_current WHERE kode_kabkota = %s", (KODE,)) == [
        (len(frame),)]
    assert steps.report("21", PERIODE)[KODE] == "loaded"
