"""The province's monthly extract template (version 1) and how a received file is read against it.

This module answers, before any row is loaded: is this a CSV or an XLSX workbook, which encoding
and delimiter does it use, and do its header names match the template? Kab/kota offices work in
Excel, so semicolons, Windows code pages, byte-order marks and workbooks are accepted; a file that
cannot be read as the template is rejected with a reason the office can act on.
The rows themselves are parsed by PostgreSQL's COPY (see ``stage``), never row by row in Python.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import re
import tempfile
from dataclasses import dataclass, field
from typing import BinaryIO

TEMPLATE_VERSION = 1

# (column, required) in the template's order.
COLUMNS: tuple[tuple[str, bool], ...] = (
    ("periode", True),
    ("kode_kabkota", True),
    ("kode_kecamatan", True),
    ("kode_desa", True),
    ("no_kk", True),
    ("nik", True),
    ("nama", True),
    ("jenis_kelamin", True),
    ("tanggal_lahir", True),
    ("alamat", False),
    ("kode_program", True),
    ("nominal", True),
    ("tanggal_salur", True),
    ("saluran", True),
    ("desil", False),
    ("id_kelompok", False),
)
COLUMN_NAMES = tuple(name for name, _ in COLUMNS)
REQUIRED = tuple(name for name, required in COLUMNS if required)

UTF8_BOM = b"\xef\xbb\xbf"
XLSX_MAGIC = b"PK\x03\x04"
_SAMPLE = 64 * 1024


class FileRejected(Exception):
    """The file cannot be read as the template; ``code`` is stable, ``message`` is for the office."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class FileLayout:
    """How to COPY the file: its columns in file order (template names or ``extra_N``)."""

    format: str  # "csv" or "xlsx"
    encoding: str  # PostgreSQL encoding name: UTF8, WIN1252, LATIN1
    delimiter: str
    has_bom: bool
    columns: list[str]
    unknown_columns: list[str] = field(default_factory=list)
    missing_optional: list[str] = field(default_factory=list)


def _normalise(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().strip('"').lower())


def _detect_encoding(stream: BinaryIO) -> str:
    """UTF8 if the whole file decodes as UTF-8, else WIN1252, else LATIN1 (streamed, C-speed)."""
    utf8 = codecs.getincrementaldecoder("utf-8")()
    cp1252 = codecs.getincrementaldecoder("cp1252")()
    ok_utf8, ok_cp1252 = True, True
    for block in iter(lambda: stream.read(1 << 20), b""):
        if ok_utf8:
            try:
                utf8.decode(block)
            except UnicodeDecodeError:
                ok_utf8 = False
        if not ok_utf8 and ok_cp1252:
            try:
                cp1252.decode(block)
            except UnicodeDecodeError:
                ok_cp1252 = False
        if not ok_utf8 and not ok_cp1252:
            break
    if ok_utf8:
        try:
            utf8.decode(b"", final=True)
            return "UTF8"
        except UnicodeDecodeError:
            pass
    return "WIN1252" if ok_cp1252 else "LATIN1"


_PY_CODEC = {"UTF8": "utf-8", "WIN1252": "cp1252", "LATIN1": "latin-1"}


def map_header(names: list[str]) -> tuple[list[str], list[str], list[str]]:
    """Template names for the file's header; raises FileRejected for misspelt or missing columns.

    Returns (columns in file order, unknown columns as sent, optional columns not sent).
    """
    normalised = [_normalise(n) for n in names]
    if not any(normalised):
        raise FileRejected(
            "empty_header", "Baris pertama (header) kosong: file harus diawali nama-nama kolom template."
        )
    seen: set[str] = set()
    columns, unknown = [], []
    for raw, name in zip(names, normalised, strict=True):
        if name in COLUMN_NAMES:
            if name in seen:
                raise FileRejected("duplicate_column", f"Kolom '{name}' muncul dua kali di header.")
            seen.add(name)
            columns.append(name)
        else:
            unknown.append(raw.strip())
            columns.append(f"extra_{len(unknown)}")
    missing = [c for c in REQUIRED if c not in seen]
    if missing:
        hints = []
        for col in missing:
            close = difflib.get_close_matches(col, [_normalise(u) for u in unknown], n=1, cutoff=0.75)
            hints.append(f"'{col}'" + (f" (tertulis '{close[0]}'?)" if close else ""))
        raise FileRejected(
            "missing_columns",
            "Kolom wajib tidak ada atau salah eja: "
            + ", ".join(hints)
            + ". Gunakan nama kolom persis seperti template provinsi.",
        )
    missing_optional = [c for c, req in COLUMNS if not req and c not in seen]
    return columns, unknown, missing_optional


def inspect_csv(stream: BinaryIO) -> FileLayout:
    """Read the head of a CSV (and scan it once for its encoding) to decide how COPY must parse it."""
    head = stream.read(_SAMPLE)
    if not head.strip(UTF8_BOM + b" \r\n\t"):
        raise FileRejected("empty_file", "File kosong: tidak ada header maupun baris data.")
    has_bom = head.startswith(UTF8_BOM)
    stream.seek(0)
    encoding = _detect_encoding(stream)
    text = head[len(UTF8_BOM) if has_bom else 0 :].decode(_PY_CODEC[encoding], errors="replace")
    first_line = text.splitlines()[0] if text.splitlines() else ""
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    names = next(csv.reader([first_line], delimiter=delimiter))
    columns, unknown, missing_optional = map_header(names)
    body = text.splitlines()[1:]
    if not any(line.strip() for line in body):
        raise FileRejected("no_rows", "File hanya berisi header, tanpa baris data.")
    return FileLayout("csv", encoding, delimiter, has_bom, columns, unknown, missing_optional)


def is_xlsx(head: bytes, name: str) -> bool:
    return head.startswith(XLSX_MAGIC) or name.lower().endswith(".xlsx")


def xlsx_to_csv(stream: BinaryIO) -> tuple[FileLayout, BinaryIO]:
    """The first sheet of a workbook as a UTF-8 CSV spool (streamed with openpyxl's read-only mode).

    Cells typed as numbers keep what Excel kept: a 16-digit NIK stored as a number has already
    lost its last digits, and the validation rules say so.
    """
    import openpyxl

    with tempfile.SpooledTemporaryFile(max_size=64 << 20) as src:
        for block in iter(lambda: stream.read(1 << 20), b""):
            src.write(block)
        src.seek(0)
        try:
            workbook = openpyxl.load_workbook(src, read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - any parse failure is the office's file, not our bug
            raise FileRejected(
                "unreadable_xlsx", f"Workbook XLSX tidak dapat dibaca: {type(exc).__name__}."
            ) from exc
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None or not any(h is not None for h in header):
            raise FileRejected("empty_file", "Sheet pertama workbook kosong.")
        while header and header[-1] is None:
            header = header[:-1]
        columns, unknown, missing_optional = map_header([str(h or "") for h in header])
        out = tempfile.SpooledTemporaryFile(max_size=64 << 20)  # noqa: SIM115 - returned to the caller, who closes it
        text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(columns)
        width = len(columns)
        count = 0
        for row in rows:
            if row is None or all(v is None or str(v).strip() == "" for v in row):
                continue
            values = [_cell_text(v) for v in row[:width]]
            values += [""] * (width - len(values))
            writer.writerow(values)
            count += 1
        workbook.close()
        if count == 0:
            raise FileRejected("no_rows", "Sheet pertama hanya berisi header, tanpa baris data.")
        text.detach()
        out.seek(0)
        return FileLayout("xlsx", "UTF8", ",", False, columns, unknown, missing_optional), out


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if abs(value) >= 1e15:
            return f"{float(value):.2E}"  # what Excel shows, and all that is left of a long number
        if float(value).is_integer():
            return str(int(value))
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d")
    return str(value)
