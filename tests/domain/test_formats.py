"""Deciding a received file's format from its bytes: what the pipeline reads, and what it names instead."""

from __future__ import annotations

import io
import random
import zipfile

import pytest

from bansos.domain import formats

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
CSV = b"periode,kode_kabkota,nik\n2022-05,21.05,2105010101900001\n"


def _zip(entries: dict[str, bytes], stored_first: bool = False) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for i, (name, data) in enumerate(entries.items()):
            z.writestr(zipfile.ZipInfo(name), data,
                       compress_type=zipfile.ZIP_STORED if stored_first and i == 0 else zipfile.ZIP_DEFLATED)
    return buf.getvalue()


ODS = _zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"}, True)


@pytest.mark.parametrize("head,name,kind", [
    (CSV, "penyaluran.csv", "text"),
    (CSV, "penyaluran.xls", "text"),  # a CSV renamed: the content decides
    (b"\xef\xbb\xbf" + CSV, "a.txt", "text"),
    (CSV.replace(b",", b"\t").decode().encode("cp1252"), "a.txt", "text"),
    (CSV + b"2022-05,21.05,\x00x\n" + CSV * 200, "nul.csv", "text"),  # one NUL: the line check's to name
    (b"\xff\xfe" + CSV.decode().replace(",", "\t").encode("utf-16-le"), "unicode.txt", "utf16"),
    (b"\xfe\xff" + CSV.decode().replace(",", "\t").encode("utf-16-be"), "unicode.txt", "utf16"),
    (b"PK\x03\x04" + bytes(100), "data.xlsx", "xlsx"),
    (b"PK\x03\x04" + bytes(100), "data.csv", "xlsx"),  # a workbook named .csv is still a workbook
], ids=["csv", "csv-named-xls", "utf8-bom", "tab-cp1252", "one-nul", "utf16le", "utf16be", "zip", "zip-named-csv"])
def test_formats_that_are_read(head, name, kind):
    assert formats.sniff(head, name).kind == kind


@pytest.mark.parametrize("head,name,found", [
    (OLE2 + bytes(600), "data.xls", "workbook Excel 97-2003 (.xls)"),
    (OLE2 + bytes(64) + "Workbook".encode("utf-16-le"), "data", "workbook Excel 97-2003 (.xls)"),
    (OLE2 + bytes(600), "data.xlsx", "dilindungi kata sandi"),
    (OLE2 + bytes(64) + "EncryptionInfo".encode("utf-16-le"), "data.bin", "dilindungi kata sandi"),
    (OLE2 + bytes(600), "surat.doc", "dokumen Word 97-2003"),
    (OLE2 + bytes(600), "x", "format lama"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "penyaluran.csv", "dokumen PDF"),
    (b"\x89PNG\r\n\x1a\n" + bytes(20), "scan.png", "gambar PNG"),
    (b"\xff\xd8\xff\xe0" + bytes(20), "foto.jpg", "gambar JPEG"),
    (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "x.webp", "gambar WebP"),
    (b"\x00\x00\x00\x18ftypheic", "IMG_0001.HEIC", "HEIC/MP4"),
    (b"Rar!\x1a\x07\x00", "data.rar", "arsip RAR"),
    (b"\x1f\x8b\x08\x00", "data.csv.gz", "arsip gzip"),
    (b"{\\rtf1\\ansi", "data.rtf", "RTF"),
    (ODS, "data.ods", "OpenDocument (.ods"),
    (b"\xef\xbb\xbf  <html><body><table>", "data.xls", "halaman web (HTML)"),
    (b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">', "d.xml",
     "XML Spreadsheet 2003"),
    (b"\xff\xfe\x00\x00p\x00\x00\x00", "u32.txt", "UTF-32"),
    (CSV.decode().encode("utf-16-le"), "unicode.txt", "UTF-16) tanpa penanda BOM"),
    (CSV.decode().encode("utf-16-be"), "unicode.txt", "UTF-16) tanpa penanda BOM"),
    (random.Random(11).randbytes(4096), "sampah.txt", "data biner yang tidak dikenali (nama file berakhiran .txt)"),
], ids=["xls", "xls-by-content", "encrypted-by-name", "encrypted-by-content", "doc", "ole2", "pdf-named-csv", "png",
        "jpeg", "webp", "heic", "rar", "gzip", "rtf", "ods", "html", "xml-2003", "utf32", "utf16le-no-bom",
        "utf16be-no-bom", "garbage"])
def test_other_formats_are_named_in_both_languages(head, name, found):
    sniffed = formats.sniff(head, name)
    assert not sniffed.readable and sniffed.kind == "unsupported"
    assert found in sniffed.what
    assert sniffed.what_en and sniffed.what_en != sniffed.what


def test_a_suffix_with_digits_or_an_odd_length_is_not_named():
    garbage = random.Random(3).randbytes(2048)
    assert formats.sniff(garbage, "2171010101900001").what == "data biner yang tidak dikenali"
    assert formats.sniff(garbage, "lampiran.2171010101900001").what == "data biner yang tidak dikenali"


@pytest.mark.parametrize("names,found", [
    (["[Content_Types].xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml"], None),
    (["[Content_Types].xml", "xl/workbook.bin"], ".xlsb"),
    (["[Content_Types].xml", "word/document.xml"], ".docx"),
    (["ppt/presentation.xml"], ".pptx"),
    (["penyaluran.csv", "surat.pdf"], "arsip ZIP berisi 2 file"),
])
def test_a_zip_is_a_workbook_only_with_its_workbook_part(names, found):
    sniffed = formats.workbook_parts(names)
    assert sniffed.readable is (found is None)
    if found:
        assert found in sniffed.what
    assert "opendocument" not in formats.workbook_parts(["mimetype", "content.xml"],
                                                        b"application/vnd.oasis.opendocument.spreadsheet").what_en


TEXT = "periode\tnama\talamat\r\n" + "".join(f"2022-05\tZULKARNAÉN {i}\tJl. Ωmega 𝄞 {i}\r\n" for i in range(3000))


@pytest.mark.parametrize("codec,bom", [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff")])
@pytest.mark.parametrize("block_size", [2, 7, 4096, 1 << 20])
def test_utf16_is_transcoded_block_by_block_without_its_bom(codec, bom, block_size):
    out = io.BytesIO()
    written = formats.utf16_to_utf8(io.BytesIO(bom + TEXT.encode(codec)), out, block_size)
    assert out.getvalue() == TEXT.encode("utf-8") and written == len(out.getvalue())


@pytest.mark.parametrize("tail,line,reason", [
    (b"\x00\xdc", 4, "illegal encoding"),  # a lone low surrogate at the start of line 4
    (b"\x3d\xd8a\x00", 4, "illegal UTF-16 surrogate"),  # a high surrogate not followed by a low one
    (b"x", 4, "truncated data"),  # an odd trailing byte
])
def test_utf16_that_does_not_decode_names_its_line(tail, line, reason):
    data = b"\xff\xfe" + "a\r\nb\r\nc\r\n".encode("utf-16-le") + tail + "d\r\n".encode("utf-16-le") * (tail != b"x")
    for block_size in (3, 1 << 20):
        with pytest.raises(formats.Undecodable) as exc:
            formats.utf16_to_utf8(io.BytesIO(data), io.BytesIO(), block_size)
        assert (exc.value.line, exc.value.detail) == (line, reason)
