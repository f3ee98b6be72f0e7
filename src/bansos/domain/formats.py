"""What a received file is, decided from its content: a format the pipeline reads, or what it is instead.

Kab/kota offices save from Excel, LibreOffice, a scanner or a phone, and name files as they like: a
``.xls`` may be a CSV renamed, a ``.csv`` may be a workbook, a ``.txt`` may be Excel's "Unicode Text".
So the first bytes decide (magic numbers, byte-order marks, how text-like they are), and the name's
suffix is only a hint that makes the answer more precise (an OLE2 file named ``.xlsx`` is a
password-protected workbook, one named ``.xls`` an Excel 97-2003 workbook).

Read: an XLSX workbook (a zip; :func:`workbook_parts` checks its directory once it is spooled), text
(UTF-8 or a Windows code page, CSV or tab-separated) and UTF-16 text with a byte-order mark (Excel's
"Unicode Text"), which :func:`utf16_to_utf8` transcodes block by block. Everything else is
``unsupported`` with a description, in Indonesian and English, of what was found, which
``bansos.stage.contract.unsupported_format`` turns into the rejection the office reads.

Pure functions of bytes (no store, no database): the extract uses :func:`sniff` to keep a file the
pipeline does not read from taking the month's place, the stage to decide how to read it.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

HEAD_BYTES = 8192  # what the sniff reads; enough for every signature below and a text sample

XLSX, TEXT, UTF16, UNSUPPORTED = "xlsx", "text", "utf16", "unsupported"


@dataclass(frozen=True)
class Sniffed:
    """``kind`` is ``xlsx``, ``text``, ``utf16`` or ``unsupported``; ``what`` and ``what_en`` say what an
    unsupported file is (Indonesian for the office, English for the gloss)."""

    kind: str
    what: str = ""
    what_en: str = ""

    @property
    def readable(self) -> bool:
        return self.kind != UNSUPPORTED


def _no(what: str, what_en: str) -> Sniffed:
    return Sniffed(UNSUPPORTED, what, what_en)


_IMAGE = ("gambar {} (foto atau hasil pindai), bukan tabel data", "a {} image (a photo or a scan), not a data table")
_ARCHIVE = ("arsip {} (keluarkan dulu file ekstraknya dari arsip)", "a {} archive (take the extract out of it first)")
# (signature at offset 0, Indonesian, English), checked in order
_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "dokumen PDF, bukan tabel data yang dapat dibaca", "a PDF document, not a readable data table"),
    (b"\x89PNG\r\n\x1a\n", _IMAGE[0].format("PNG"), _IMAGE[1].format("PNG")),
    (b"\xff\xd8\xff", _IMAGE[0].format("JPEG"), _IMAGE[1].format("JPEG")),
    (b"GIF87a", _IMAGE[0].format("GIF"), _IMAGE[1].format("GIF")),
    (b"GIF89a", _IMAGE[0].format("GIF"), _IMAGE[1].format("GIF")),
    (b"II*\x00", _IMAGE[0].format("TIFF"), _IMAGE[1].format("TIFF")),
    (b"MM\x00*", _IMAGE[0].format("TIFF"), _IMAGE[1].format("TIFF")),
    (b"Rar!\x1a\x07", _ARCHIVE[0].format("RAR"), _ARCHIVE[1].format("RAR")),
    (b"7z\xbc\xaf\x27\x1c", _ARCHIVE[0].format("7-Zip"), _ARCHIVE[1].format("7-Zip")),
    (b"\x1f\x8b", _ARCHIVE[0].format("gzip"), _ARCHIVE[1].format("gzip")),
    (b"PK\x05\x06", "arsip ZIP kosong", "an empty ZIP archive"),
    (b"{\\rtf", "dokumen RTF (Word)", "an RTF (Word) document"),
    (b"SQLite format 3\x00", "basis data SQLite", "an SQLite database"),
    (b"\xff\xfe\x00\x00", "teks Unicode UTF-32", "UTF-32 text"),  # before UTF-16's FF FE
    (b"\x00\x00\xfe\xff", "teks Unicode UTF-32", "UTF-32 text"),
)
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_UTF8_BOM = b"\xef\xbb\xbf"
# control bytes no text export holds (tab, LF, CR, and ESC/SUB, seen in old exports, excepted)
_CONTROL = frozenset(range(0, 9)) | {0x0B, 0x0C} | frozenset(range(0x0E, 0x1A)) | {0x1C, 0x1D, 0x1E, 0x1F, 0x7F}


def _suffix(name: str) -> str:
    """The name's suffix (``.xls``), lower case, if it is a short plain one; else empty."""
    stem, dot, suffix = name.rpartition(".")
    return f".{suffix.lower()}" if dot and stem and 1 <= len(suffix) <= 5 and suffix.isalnum() else ""


def _ole2(head: bytes, suffix: str) -> Sniffed:
    """An OLE2 compound file: Excel 97-2003, an encrypted OOXML workbook, or another old Office document."""
    if "EncryptionInfo".encode("utf-16-le") in head or suffix in (".xlsx", ".xlsm"):
        return _no("workbook Excel yang dilindungi kata sandi (terenkripsi); hapus kata sandinya dulu",
                   "a password-protected (encrypted) Excel workbook; remove the password first")
    if suffix in (".doc", ".dot"):
        return _no("dokumen Word 97-2003 (.doc)", "a Word 97-2003 document (.doc)")
    if suffix in (".xls", ".xlt") or "Workbook".encode("utf-16-le") in head:
        return _no("workbook Excel 97-2003 (.xls), format lama yang tidak dibaca",
                   "an Excel 97-2003 workbook (.xls), an old format not read")
    return _no("dokumen Microsoft Office format lama (97-2003, misalnya .xls atau .doc)",
               "an old (97-2003) Microsoft Office document, such as .xls or .doc")


def _opendocument(mimetype: bytes) -> Sniffed | None:
    if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
        return _no("spreadsheet OpenDocument (.ods, LibreOffice Calc)", "an OpenDocument spreadsheet (.ods)")
    if mimetype.startswith(b"application/vnd.oasis.opendocument"):
        return _no("dokumen OpenDocument (LibreOffice)", "an OpenDocument file (LibreOffice)")
    return None


def _markup(text_head: bytes) -> Sniffed | None:
    """HTML or XML where a header row should be: Excel's "Web Page" or "XML Spreadsheet 2003", a saved page."""
    start = text_head.lstrip(b" \t\r\n")[:64].lower()
    if start.startswith(b"<?xml"):
        if b"urn:schemas-microsoft-com:office:spreadsheet" in text_head:
            return _no("XML Spreadsheet 2003 dari Excel", "an Excel XML Spreadsheet 2003")
        return _no("dokumen XML", "an XML document")
    if start.startswith((b"<html", b"<!doctype html", b"<table", b"<head", b"<meta")):
        return _no("halaman web (HTML), misalnya hasil 'Save as Web Page' atau unduhan aplikasi",
                   "a web page (HTML), such as Excel's 'Save as Web Page' or an application's download")
    if start.startswith(b"mime-version:"):
        return _no("halaman web satu file (.mht)", "a single-file web page (.mht)")
    return None


def _utf16_without_bom(sample: bytes) -> bool:
    """Mostly-ASCII UTF-16 has a zero in every other byte; a text file has none."""
    pairs = len(sample) // 2
    if pairs < 8:
        return False
    zeros_even = sample[0 : 2 * pairs : 2].count(0)
    zeros_odd = sample[1 : 2 * pairs : 2].count(0)
    return max(zeros_even, zeros_odd) > 0.3 * pairs and min(zeros_even, zeros_odd) < 0.05 * pairs


def _binary(sample: bytes) -> bool:
    """More than 2% control bytes: data, not text (a NUL or two in a damaged CSV is left to the line check)."""
    count = sum(1 for b in sample if b in _CONTROL)
    return count >= 2 and count * 50 > len(sample)


def sniff(head: bytes, name: str = "") -> Sniffed:
    """What the file whose first bytes are ``head`` (:data:`HEAD_BYTES` of them) is; ``name`` is a hint.

    A zip is ``xlsx`` unless its first entry says OpenDocument: whether it holds a workbook is in its
    directory at the end of the file, which :func:`workbook_parts` reads once the stage has it spooled.
    """
    suffix = _suffix(name)
    if head.startswith(_OLE2):
        return _ole2(head, suffix)
    if head.startswith(_ZIP):
        if head[30:38] == b"mimetype":  # OpenDocument stores its type first, uncompressed
            return _opendocument(head[38:120]) or Sniffed(XLSX)
        return Sniffed(XLSX)
    for magic, what, what_en in _MAGIC:
        if head.startswith(magic):
            return _no(what, what_en)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _no(_IMAGE[0].format("WebP"), _IMAGE[1].format("WebP"))
    if head[4:8] == b"ftyp":
        return _no("foto atau video (HEIC/MP4 dari ponsel), bukan tabel data",
                   "a photo or video (HEIC/MP4 from a phone), not a data table")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return Sniffed(UTF16)
    text_head = head[len(_UTF8_BOM):] if head.startswith(_UTF8_BOM) else head
    markup = _markup(text_head)
    if markup is not None:
        return markup
    if _utf16_without_bom(text_head[:4096]):
        return _no("teks Unicode (UTF-16) tanpa penanda BOM di awal file",
                   "UTF-16 text without a byte-order mark")
    if _binary(text_head):
        hint = f" (nama file berakhiran {suffix})" if suffix else ""
        return _no(f"data biner yang tidak dikenali{hint}", f"unrecognised binary data{hint and f' ({suffix})'}")
    return Sniffed(TEXT)


def workbook_parts(names: list[str], mimetype: bytes = b"") -> Sniffed:
    """What a zip holds, from its directory: an XLSX workbook (``xl/workbook.xml``) or what it is instead.

    ``mimetype`` is the content of its ``mimetype`` entry, if it has one (OpenDocument).
    """
    if "xl/workbook.xml" in names:
        return Sniffed(XLSX)
    if "xl/workbook.bin" in names:
        return _no("workbook Excel Binary (.xlsb)", "an Excel Binary workbook (.xlsb)")
    if "mimetype" in names:
        found = _opendocument(mimetype)
        if found is not None:
            return found
    if any(n.startswith("word/") for n in names):
        return _no("dokumen Word (.docx)", "a Word document (.docx)")
    if any(n.startswith("ppt/") for n in names):
        return _no("presentasi PowerPoint (.pptx)", "a PowerPoint presentation (.pptx)")
    return _no(f"arsip ZIP berisi {len(names)} file, bukan workbook XLSX (keluarkan dulu file ekstraknya dari "
               "arsip)", f"a ZIP archive of {len(names)} file(s), not an XLSX workbook (take the extract out of it)")


class Undecodable(ValueError):
    """UTF-16 text that does not decode; ``line`` is the line (from 1) where decoding failed."""

    def __init__(self, line: int, detail: str):
        super().__init__(f"line {line}: {detail}")
        self.line = line
        self.detail = detail


def _decoded(src: BinaryIO, block_size: int) -> Iterator[str]:
    """The text of a UTF-16 stream, block by block: its BOM gives the byte order and is dropped."""
    block = src.read(block_size)
    codec = "utf-16-be" if block.startswith(b"\xfe\xff") else "utf-16-le"
    if block.startswith((b"\xff\xfe", b"\xfe\xff")):
        block = block[2:] or src.read(block_size)
    decoder = codecs.getincrementaldecoder(codec)("strict")
    line = 1
    while block:
        pending, _ = decoder.getstate()
        try:
            text = decoder.decode(block)
        except UnicodeDecodeError as exc:  # positions count from the bytes pending before this block
            good = (pending + block)[: max(exc.start, 0)]
            raise Undecodable(line + good.decode(codec, errors="replace").count("\n"), exc.reason) from exc
        line += text.count("\n")
        yield text
        block = src.read(block_size)
    try:
        yield decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise Undecodable(line, exc.reason) from exc


def utf16_to_utf8(src: BinaryIO, out: BinaryIO, block_size: int = 1 << 20) -> int:
    """Write the UTF-16 text of ``src`` (with its BOM) into ``out`` as UTF-8; return the bytes written.

    Streamed: one block and the decoder's few pending bytes in memory, whatever the file's size.
    Raises :class:`Undecodable` (with the line) for a byte sequence UTF-16 does not allow, such as a
    lone surrogate or an odd trailing byte.
    """
    written = 0
    for text in _decoded(src, block_size):
        written += out.write(text.encode("utf-8"))
    return written
