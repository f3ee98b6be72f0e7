"""A correction list as the kab/kota office opens it: ``koreksi_<file>.csv`` and ``koreksi_<file>.xlsx``.

Both say the same, in Indonesian: a summary (the file, its status, each failed rule with its count,
"ditampilkan N dari M baris" when the list is capped, the rules that have no line) and then one row per
offending line: ``baris, aturan, tingkat, kolom, nilai, perbaikan``. The CSV is UTF-8 with a BOM, so
Excel opens it with the right characters. In the workbook every cell is text (``@``) so codes such as
``21.71`` or a masked ``2171********0003`` stay as written, except the line number, a whole number so
the rows sort by line; a value that starts like a formula stays text in both files. Written beside the
quarantine copy of a rejected file, or under ``correction_lists/`` for a file accepted with warnings
(:func:`bansos.domain.layout.correction_list_keys`).
"""

from __future__ import annotations

import csv
import io
from copy import copy
from dataclasses import dataclass

from bansos.domain.config import load_province
from bansos.domain.layout import correction_list_keys
from bansos.domain.privacy import mask_text
from bansos.domain.storage import Store
from bansos.validate.correction_list import CorrectionList

HEADER = ("baris", "aturan", "tingkat", "kolom", "nilai", "perbaikan")
SEVERITY = {"error": "error", "warning": "peringatan"}
CONTENT_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HOW_TO = ("Cari setiap nomor baris di file asli kab/kota (baris 1 = header), perbaiki kolom yang disebut, lalu kirim "
          "ulang seluruh file ke folder yang sama. (Find each line in your own file, line 1 being the header, fix "
          "the column named, and send the whole file again to the same folder.)")


@dataclass(frozen=True)
class About:
    """Which file the list is about, for its summary."""

    province: str
    periode: str
    kode_kabkota: str
    file_name: str
    submission_id: int
    rejected: bool

    @classmethod
    def of(cls, ref: dict, rejected: bool) -> About:
        """From what the steps know of the file (``province``, ``periode``, ``kode_kabkota``, ``file_name``...)."""
        return cls(ref["province"], ref["periode"], ref["kode_kabkota"], ref.get("file_name") or "",
                   ref["submission_id"], rejected)


def _number(n: int) -> str:
    """``12.345``: the office's thousands separator."""
    return f"{n:,}".replace(",", ".")


def _kabkota(about: About) -> str:
    try:
        return f"{about.kode_kabkota} {load_province(about.province).kabkota_by_code(about.kode_kabkota).nama}"
    except (FileNotFoundError, KeyError, ValueError):
        return about.kode_kabkota


def summary(listing: CorrectionList, about: About) -> list[tuple[str, str]]:
    """The list's summary as (label, text) lines, the same in the CSV and the workbook."""
    status = ("DITOLAK: perbaiki baris bertingkat error, lalu kirim ulang seluruh file. (Rejected: fix the error "
              "lines and send the whole file again.)" if about.rejected else
              "DITERIMA dengan peringatan: data sudah diterima; periksa baris di bawah dan kirim ulang file hanya "
              "jika ada yang salah. (Accepted with warnings: check the lines; resend only if something is wrong.)")
    shown = len(listing.rows)
    count = (f"ditampilkan {_number(shown)} dari {_number(listing.total_rows)} baris (showing {shown:,} of "
             f"{listing.total_rows:,} rows)" if listing.capped else f"{_number(listing.total_rows)} baris")
    if listing.lines:
        count += f"; {_number(listing.lines)} baris berbeda di file (distinct lines)"
    lines = [
        ("Daftar koreksi (correction list)", mask_text(about.file_name)),
        ("Kab/kota", _kabkota(about)),
        ("Periode", about.periode),
        ("Submission", str(about.submission_id)),
        ("Status", status),
        ("Baris koreksi (rows)", count),
    ]
    if listing.capped:
        lines.append(("Batas (cap)", f"paling banyak {_number(listing.cap)} baris per daftar; perbaiki yang "
                      "ditampilkan, kirim ulang, dan daftar berikutnya memuat sisanya. (At most this many rows.)"))
    for total in listing.totals:
        rows = f"{_number(total.rows)} baris" if total.rows is not None else "tanpa nomor baris (no line)"
        text = f"{rows}; kolom {total.field}; {total.action}"
        lines.append((f"Aturan {total.rule} ({SEVERITY.get(total.severity, total.severity)})",
                      text + (f" {total.note}" if total.note else "")))
    lines.append(("Cara memakai (how to use)", HOW_TO))
    return lines


def _row(r) -> tuple:
    return ("" if r.line is None else r.line, r.rule, SEVERITY.get(r.severity, r.severity), r.field, r.value, r.action)


def _csv_cell(value) -> str:
    """A cell Excel shows as written: text that starts like a formula gets a leading apostrophe."""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(listing: CorrectionList, about: About) -> bytes:
    """The summary lines, an empty line, then the header and one row per offending line; UTF-8 with BOM."""
    out = io.StringIO()
    writer = csv.writer(out)
    for label, text in summary(listing, about):
        writer.writerow([_csv_cell(label), _csv_cell(text)])
    writer.writerow([])
    writer.writerow(HEADER)
    writer.writerows([_csv_cell(v) for v in _row(r)] for r in listing.rows)
    return out.getvalue().encode("utf-8-sig")


class _Cells:
    """Write-only cells of one sheet, styled from a template per style: styling each cell anew is slow."""

    def __init__(self, ws):
        from openpyxl.styles import Alignment, Font

        self.ws, self.styles = ws, {}
        self.looks = {"text": {}, "bold": {"font": Font(bold=True)},
                      "wrap": {"alignment": Alignment(wrap_text=True, vertical="top")}}

    def _styled(self, value, look: str, number_format: str):
        from openpyxl.cell import WriteOnlyCell

        key = (look, number_format)
        if key not in self.styles:
            template = WriteOnlyCell(self.ws)
            template.number_format = number_format
            for name, style in self.looks[look].items():
                setattr(template, name, style)
            self.styles[key] = template._style
        cell = WriteOnlyCell(self.ws, value=value)
        cell._style = copy(self.styles[key])
        return cell

    def text(self, value, look: str = "text"):
        """A text cell (``@``); empty stays empty, still formatted as text for what is typed in."""
        text = str(value)
        cell = self._styled(text or None, look, "@")
        if text:
            cell.data_type = "s"  # never a formula, whatever the text starts with
        return cell

    def number(self, value):
        return self._styled(value, "text", "0")


def to_xlsx(listing: CorrectionList, about: About) -> bytes:
    """Sheet ``Ringkasan`` (the summary), then sheet ``Koreksi`` (header and rows, filter, frozen header)."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Ringkasan")
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["B"].width = 120
    cells = _Cells(ws)
    for label, text in summary(listing, about):
        ws.append([cells.text(label, "bold"), cells.text(text, "wrap")])

    ws = wb.create_sheet("Koreksi")
    ws.freeze_panes = "A2"
    for j, width in enumerate((8, 28, 12, 16, 22, 90), start=1):
        ws.column_dimensions[get_column_letter(j)].width = width
    cells = _Cells(ws)
    ws.append([cells.text(h, "bold") for h in HEADER])
    for r in listing.rows:
        line, *rest = _row(r)
        ws.append([cells.number(line if line != "" else None)] + [cells.text(v) for v in rest])
    ws.auto_filter.ref = f"A1:{get_column_letter(len(HEADER))}{len(listing.rows) + 1}"
    sink = io.BytesIO()
    wb.save(sink)
    return sink.getvalue()


def publish(store: Store, folder: str, sha256: str, listing: CorrectionList, about: About) -> dict[str, str]:
    """Write both files into ``folder``'s hash folder; returns their keys by suffix (``.csv``, ``.xlsx``)."""
    keys = correction_list_keys(folder, sha256, about.file_name)
    store.put_bytes(keys[".csv"], to_csv(listing, about), CONTENT_TYPES[".csv"])
    store.put_bytes(keys[".xlsx"], to_xlsx(listing, about), CONTENT_TYPES[".xlsx"])
    return keys
