"""The province's monthly extract template (version 1) and how a received file is read against it.

This module answers, before any row is loaded: is this a CSV, Excel's UTF-16 "Unicode Text" or an
XLSX workbook (decided from the content by :mod:`bansos.domain.formats`), which encoding and
delimiter does it use, and do its header names match the template? Kab/kota offices work in Excel,
so semicolons, tabs, Windows code pages, byte-order marks, UTF-16 text and workbooks are accepted;
any other format (an old ``.xls``, a PDF, a photo, an archive) is ``unsupported_format``, naming what
was found and what to send instead. A file that cannot be read as the template is rejected with a
reason the office can act on: that includes a broken or hostile file (a corrupt workbook, NUL bytes,
a line or a header beyond the limits of ``bansos.domain.limits``, a zip bomb, found from the zip's
directory before anything is unpacked). Only what is in the file rejects it: an error of the store,
the disk or the database propagates, and the task retries.
The rows themselves are parsed by PostgreSQL's COPY (see ``stage``), never row by row in Python.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from typing import BinaryIO

from bansos.domain import formats
from bansos.domain.limits import FileLimits, file_limits
from bansos.domain.outcome import RuleOutcome

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
DELIMITERS = (",", ";", "\t")  # comma first: it wins a tie
ADVICE = ("Simpan sebagai CSV UTF-8 atau XLSX, lalu kirim ulang. "
          "(Save it as CSV UTF-8 or XLSX and send it again.)")
_SAMPLE = 64 * 1024


class FileRejected(Exception):
    """The file cannot be read as the template; ``code`` is stable, ``message`` is for the office."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def outcome(self) -> RuleOutcome:
        """The rejection as the one failed rule it is quarantined and alerted with."""
        return RuleOutcome(rule=self.code, severity="error", description=self.message)


@dataclass
class FileLayout:
    """How to COPY the file: its columns in file order (template names or ``extra_N``)."""

    format: str  # "csv", "utf16" (transcoded to UTF-8 before the COPY) or "xlsx"
    encoding: str  # PostgreSQL encoding name: UTF8, WIN1252, LATIN1
    delimiter: str
    has_bom: bool
    columns: list[str]
    unknown_columns: list[str] = field(default_factory=list)
    missing_optional: list[str] = field(default_factory=list)


def _normalise(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().strip('"').lower())


def _check_lines(block: bytes, line: int, run: int, max_line_bytes: int) -> tuple[int, int]:
    """Reject a block holding NUL or finishing a line over the limit; return where the next block starts.

    ``line`` is the line number the block starts in and ``run`` the bytes that line had before it.
    """
    nul = block.find(b"\x00")
    if nul >= 0:
        where = line + block.count(b"\n", 0, nul)
        raise FileRejected(
            "nul_bytes",
            f"Baris {where}: file berisi karakter NUL (byte 0). File ini bukan CSV "
            "teks biasa (mungkin disimpan sebagai 'Unicode Text' atau rusak); simpan ulang sebagai CSV UTF-8.",
        )
    lengths = [len(piece) for piece in block.split(b"\n")]
    lengths[0] += run
    longest = max(lengths)
    if longest > max_line_bytes:
        raise FileRejected(
            "line_too_long",
            f"Baris {line + lengths.index(longest)} lebih panjang dari batas {max_line_bytes} byte: cek tanda "
            'kutip (") yang tidak ditutup dan pemisah baris.',
        )
    return line + len(lengths) - 1, lengths[-1]


def _scan(stream: BinaryIO, max_line_bytes: int) -> str:
    """Read the whole file once: reject NUL bytes and over-long lines, and return its encoding.

    UTF8 if the whole file decodes as UTF-8, else WIN1252, else LATIN1 (streamed, C-speed). NUL is
    valid UTF-8 but no CSV text holds it (a UTF-16 "Unicode text" export or a damaged file does); a
    line longer than the limit is no template row, and PostgreSQL's COPY fails outright at 1 GB.
    """
    utf8 = codecs.getincrementaldecoder("utf-8")()
    cp1252 = codecs.getincrementaldecoder("cp1252")()
    ok_utf8, ok_cp1252 = True, True
    line, run = 1, 0  # the line the block starts in, and that line's bytes so far
    for block in iter(lambda: stream.read(1 << 20), b""):
        line, run = _check_lines(block, line, run, max_line_bytes)
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
    max_columns = file_limits().max_columns
    if len(names) > max_columns:
        raise FileRejected(
            "too_many_columns",
            f"Header berisi {len(names)} kolom, melebihi batas {max_columns} kolom. Template provinsi "
            f"memakai {len(COLUMNS)} kolom: hapus kolom kosong atau tambahan di ujung kanan.",
        )
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
    if not seen and not any(
        difflib.get_close_matches(col, [_normalise(u) for u in unknown], n=1, cutoff=0.75) for col in REQUIRED
    ):
        raise FileRejected(
            "missing_columns",
            "Baris pertama tidak memuat satu pun kolom template provinsi (periode, kode_kabkota, nik, ...): "
            "file ini bukan ekstrak menurut template. Kirim ekstraknya sebagai CSV UTF-8 atau XLSX dengan header "
            "template. (The first line holds none of the template's columns: this is not an extract; send the "
            "extract as CSV UTF-8 or XLSX with the template's header.)",
        )
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
    max_line_bytes = file_limits().max_line_bytes
    encoding = _scan(stream, max_line_bytes)
    stream.seek(0)
    head = stream.read(_SAMPLE + max_line_bytes)  # the whole header line, and the start of the body
    text = head[len(UTF8_BOM) if has_bom else 0 :].decode(_PY_CODEC[encoding], errors="replace")
    first_line = text.splitlines()[0] if text.splitlines() else ""
    delimiter = max(DELIMITERS, key=first_line.count)  # the header's most frequent; a comma on a tie
    try:
        names = next(csv.reader([first_line], delimiter=delimiter))
    except csv.Error as exc:  # a header field over the csv module's field size limit
        raise FileRejected("unreadable_csv", f"Baris 1 (header) tidak dapat dibaca sebagai CSV: {exc}.") from exc
    columns, unknown, missing_optional = map_header(names)
    body = text.splitlines()[1:]
    if not any(line.strip() for line in body):
        raise FileRejected("no_rows", "File hanya berisi header, tanpa baris data.")
    return FileLayout("csv", encoding, delimiter, has_bom, columns, unknown, missing_optional)


def unsupported_format(found: formats.Sniffed) -> FileRejected:
    """The rejection of a file in a format the pipeline does not read: what it is, and what to send instead."""
    return FileRejected(
        "unsupported_format",
        f"Format file tidak dibaca: {found.what}. Simpan sebagai CSV UTF-8 atau XLSX, lalu kirim ulang. "
        f"(Unsupported format: {found.what_en}; save it as CSV UTF-8 or XLSX and send it again.)",
    )


def utf16_to_csv(stream: BinaryIO) -> tuple[FileLayout, BinaryIO]:
    """Excel's "Unicode Text" (UTF-16 with a BOM, tab-separated) as a UTF-8 spool, and how to COPY it.

    Transcoded block by block into a spooled temporary file (memory up to 64 MiB, then disk), then read
    against the template like any CSV: the delimiter from the header (tab, as Excel writes it, or a comma
    or semicolon), the header check, the line limits. A byte sequence UTF-16 does not allow is
    ``bad_encoding`` with its line; any rejection says to send CSV UTF-8 or XLSX instead.
    """
    out = tempfile.SpooledTemporaryFile(max_size=64 << 20)  # noqa: SIM115 - returned to the caller, who closes it
    try:
        try:
            formats.utf16_to_utf8(stream, out)
        except formats.Undecodable as exc:
            raise FileRejected(
                "bad_encoding",
                f"Baris {exc.line}: teks Unicode (UTF-16) tidak dapat dibaca ({exc.detail}). {ADVICE}",
            ) from exc
        out.seek(0)
        layout = inspect_csv(out)
    except FileRejected as exc:
        out.close()
        if not exc.message.endswith(ADVICE):
            exc.message = f"{exc.message} File ini teks Unicode (UTF-16, 'Unicode Text' dari Excel). {ADVICE}"
            exc.args = (exc.message,)
        raise
    except BaseException:
        out.close()
        raise
    out.seek(0)
    layout.format = "utf16"
    return layout, out


_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]{1,3})(\d+)(?::([A-Z]{1,3})(\d+))?\"")
_RATIO_FLOOR = 1 << 20  # parts this small may compress well (a theme, styles) without being a bomb


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - ord("A") + 1
    return number


def _declared_cells(part: zipfile.ZipExtFile) -> int | None:
    """Cells in a sheet's ``<dimension ref="A1:P20001">``, read from the part's first 64 KiB (None if absent)."""
    match = _DIMENSION.search(part.read(_SAMPLE))
    if not match:
        return None
    first_col, first_row, last_col, last_row = match.groups()
    rows = int(last_row or first_row) - int(first_row) + 1
    columns = _column_number(last_col or first_col) - _column_number(first_col) + 1
    return max(rows, 0) * max(columns, 0)


def check_xlsx_package(src: BinaryIO, limits: FileLimits) -> None:
    """Reject a workbook too big to open, from its zip directory and sheet headers, before openpyxl parses it.

    The central directory declares every part's unzipped size, and Python's ``zipfile`` never unzips
    more than that (a lie ends in a CRC error), so the sum of declared sizes bounds what parsing can
    unpack. A part unzipping to over ``xlsx_max_compression_ratio`` times its zipped size is a zip
    bomb, not an export. A worksheet's ``<dimension>`` says how many cells openpyxl will walk.
    """
    try:
        with zipfile.ZipFile(src) as package:
            parts = package.infolist()
            _check_sizes(parts, limits)
            names = [p.filename for p in parts]
            mimetype = package.read("mimetype")[:200] if "mimetype" in names else b""
            found = formats.workbook_parts(names, mimetype)
            if not found.readable:
                raise unsupported_format(found)
            for part in parts:
                if part.filename.startswith("xl/worksheets/") and part.filename.endswith(".xml"):
                    _check_dimension(package, part, limits)
    except (FileRejected, MemoryError):
        raise
    except Exception as exc:  # noqa: BLE001 - the bytes are in a local spool: what fails here is their content
        raise FileRejected("unreadable_xlsx", f"Workbook XLSX tidak dapat dibaca: {type(exc).__name__}.") from exc


def _check_sizes(parts: list[zipfile.ZipInfo], limits: FileLimits) -> None:
    unzipped = sum(p.file_size for p in parts)
    if unzipped > limits.xlsx_max_uncompressed_bytes:
        raise FileRejected(
            "xlsx_too_large",
            f"Workbook XLSX terlalu besar setelah diekstrak: {unzipped} byte, batas "
            f"{limits.xlsx_max_uncompressed_bytes} byte. Kirim sebagai CSV, atau pecah datanya.",
        )
    for p in parts:
        if p.file_size > _RATIO_FLOOR and p.file_size > limits.xlsx_max_compression_ratio * p.compress_size:
            raise FileRejected(
                "xlsx_too_large",
                f"Bagian '{p.filename}' workbook XLSX dimampatkan secara tidak wajar "
                f"({p.file_size} byte dari {p.compress_size} byte, batas rasio "
                f"{limits.xlsx_max_compression_ratio}:1); file ditolak tanpa dibuka. Simpan ulang dari Excel.",
            )


def _check_dimension(package: zipfile.ZipFile, part: zipfile.ZipInfo, limits: FileLimits) -> None:
    with package.open(part) as sheet:
        cells = _declared_cells(sheet)
    if cells is not None and cells > limits.xlsx_max_cells:
        raise FileRejected(
            "too_many_cells",
            f"Sheet '{part.filename}' mencakup {cells} sel menurut dimensinya, melebihi batas "
            f"{limits.xlsx_max_cells} sel. Hapus baris dan kolom kosong di luar data, lalu simpan ulang.",
        )


def xlsx_to_csv(stream: BinaryIO) -> tuple[FileLayout, BinaryIO]:
    """The first sheet of a workbook as a UTF-8 CSV spool (streamed with openpyxl's read-only mode).

    Cells typed as numbers keep what Excel kept: a 16-digit NIK stored as a number has already
    lost its last digits, and the validation rules say so. The workbook is checked against the
    limits before openpyxl opens it; anything openpyxl raises while reading it is the file's fault,
    except an error of the worker's disk or memory, which propagates.
    """
    with tempfile.SpooledTemporaryFile(max_size=64 << 20) as src:
        for block in iter(lambda: stream.read(1 << 20), b""):
            src.write(block)
        src.seek(0)
        check_xlsx_package(src, file_limits())
        src.seek(0)
        out = tempfile.SpooledTemporaryFile(max_size=64 << 20)  # noqa: SIM115 - returned to the caller, who closes it
        try:
            layout = _workbook_to_csv(src, out)
        except (FileRejected, OSError, MemoryError):
            out.close()
            raise
        except Exception as exc:  # noqa: BLE001 - any parse failure is the office's file, not our bug
            out.close()
            raise FileRejected("unreadable_xlsx", f"Workbook XLSX tidak dapat dibaca: {type(exc).__name__}.") from exc
        out.seek(0)
        return layout, out


def _workbook_to_csv(src: BinaryIO, out: BinaryIO) -> FileLayout:
    """Write the first worksheet's rows into ``out`` as CSV under the template's column names."""
    import openpyxl

    workbook = openpyxl.load_workbook(src, read_only=True, data_only=True)
    try:
        if not workbook.worksheets:
            raise FileRejected("no_worksheet", "Workbook XLSX tidak berisi worksheet (lembar data).")
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        header = next(rows, None)
        if header is None or not any(h is not None for h in header):
            raise FileRejected("empty_file", "Sheet pertama workbook kosong.")
        while header and header[-1] is None:
            header = header[:-1]
        columns, unknown, missing_optional = map_header([str(h or "") for h in header])
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
        text.detach()
    finally:
        workbook.close()
    if count == 0:
        raise FileRejected("no_rows", "Sheet pertama hanya berisi header, tanpa baris data.")
    return FileLayout("xlsx", "UTF8", ",", False, columns, unknown, missing_optional)


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
