"""Write mart tables as the files the provincial office downloads: CSV, XLSX and Parquet.

Pure functions from :class:`bansos.publish.marts.Table` to bytes, so they test without a database, plus
:func:`put` that stores them under ``publish/<province>/<tahun>/`` through :mod:`bansos.domain.storage`
(a local folder or S3, the same code).

* CSV: UTF-8, comma-separated, one header row; codes as written (``21.71``, ``2022-03``), whole
  Rupiah as digits, suppressed cells as their marker (``<5`` or ``x``) with the reason in ``sensor``.
* XLSX: one sheet per table after a ``Catatan`` (notes) sheet; kode wilayah, periode and programme
  codes are text cells (Excel would turn ``21.10`` into the number 21.1), Rupiah carry the number
  format ``"Rp"#,##0``, counts ``#,##0``.
* Parquet: typed columns (codes as strings, counts and Rupiah as int64); a suppressed cell is null,
  ``sensor`` says why, and the file's key-value metadata carries the notes.

Only mart tables reach these functions: they hold aggregates, never NIK, No KK, names, birth dates
or their hashes.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from bansos.domain.storage import Store
from bansos.publish.marts import Table

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
    "html": "text/html; charset=utf-8",
    "json": "application/json",
}
RUPIAH_FORMAT = '"Rp"#,##0'
COUNT_FORMAT = "#,##0"
PLAIN_FORMAT = "0"
NUMBER_FORMAT = "#,##0.0"
DATE_FORMAT = "yyyy-mm-dd"
TEXT_FORMAT = "@"


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def to_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([_text(v) for v in row])
    return out.getvalue().encode("utf-8")


def _arrow_type(kind: str):
    import pyarrow as pa

    return {"int": pa.int64(), "rupiah": pa.int64(), "number": pa.float64(), "date": pa.date32(),
            "bool": pa.bool_()}.get(kind, pa.string())


def _arrow_value(value, kind: str):
    if value is None:
        return None
    if kind in ("int", "rupiah"):
        return None if isinstance(value, str) else int(value)  # a suppression marker becomes null
    if kind == "number":
        return None if isinstance(value, str) else float(value)
    if kind in ("date", "bool"):
        return value
    return _text(value)


def to_parquet(table: Table, notes: dict[str, str] | None = None) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = list(zip(*table.rows, strict=True)) if table.rows else [() for _ in table.columns]
    arrays = [pa.array([_arrow_value(v, kind) for v in values], type=_arrow_type(kind))
              for values, kind in zip(columns, table.kinds, strict=True)]
    metadata = {k.encode(): v.encode() for k, v in (notes or {}).items()}
    arrow = pa.Table.from_arrays(arrays, names=list(table.columns)).replace_schema_metadata(metadata)
    sink = io.BytesIO()
    pq.write_table(arrow, sink, compression="zstd")
    return sink.getvalue()


def _is_code(column: str) -> bool:
    return column.startswith("kode_") or column in ("periode", "aturan")


def _cell_format(column: str, kind: str, value) -> str | None:
    if isinstance(value, str) and kind in ("int", "rupiah", "number"):
        return None  # a suppression marker: plain text, right-aligned
    if kind == "rupiah":
        return RUPIAH_FORMAT
    if kind == "int":
        return PLAIN_FORMAT if column in ("tahun", "triwulan", "bulan") else COUNT_FORMAT  # not "2.022"
    if kind == "number":
        return NUMBER_FORMAT
    if kind == "date":
        return DATE_FORMAT
    if kind == "text" and _is_code(column):
        return TEXT_FORMAT
    return None


def _xlsx_value(value, kind: str):
    if isinstance(value, Decimal):
        return float(value)
    if kind == "text" and value is not None and not isinstance(value, str):
        return _text(value)  # codes and labels stay text, never numbers
    return value


def _width(column: str, kind: str) -> float:
    if kind == "rupiah":
        return 18
    if column.startswith("nama_") or column in ("keterangan", "catatan", "sensor"):
        return 32
    return max(10, min(len(column) + 2, 24))


def _styled_cell(ws, fmt: str | None, marker: bool):
    """A write-only cell with a number format, or right-aligned if it holds a suppression marker."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment

    cell = WriteOnlyCell(ws)
    if fmt:
        cell.number_format = fmt
    if marker:
        cell.alignment = Alignment(horizontal="right")
    return cell


def _row(ws, table: Table, row: tuple, cells: dict):
    """The values of one row as :meth:`append` takes them, one at a time: a plain value as is, a formatted one
    in the cell of its style, given its value just before it is handed on. openpyxl writes each cell of a
    write-only row as it gets it, so one cell per style serves every row (a new cell per value, with its style
    copied, took a third of the workbook's time)."""
    for column, kind, value in zip(table.columns, table.kinds, row, strict=True):
        fmt = _cell_format(column, kind, value)
        marker = isinstance(value, str) and kind in ("int", "rupiah", "number")
        if value is None or not (fmt or marker):
            yield _xlsx_value(value, kind)  # a plain value is written as is, and fast
            continue
        key = (fmt, marker)
        cell = cells.get(key)
        if cell is None:
            cell = cells[key] = _styled_cell(ws, fmt, marker)
        cell.value = _xlsx_value(value, kind)
        yield cell


def to_xlsx(sheets: list[tuple[str, Table]], notes: list[tuple[str, str]]) -> bytes:
    """A workbook: a ``Catatan`` sheet with ``notes`` (label, text), then one sheet per table."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")

    ws = wb.create_sheet("Catatan")
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 110
    for label, text in notes:
        first = WriteOnlyCell(ws, value=label)
        first.font = bold
        second = WriteOnlyCell(ws, value=text)
        second.alignment = wrap
        ws.append([first, second])

    for title, table in sheets:
        ws = wb.create_sheet(title[:31])
        ws.freeze_panes = "A2"
        for j, (column, kind) in enumerate(zip(table.columns, table.kinds, strict=True), start=1):
            ws.column_dimensions[get_column_letter(j)].width = _width(column, kind)
        header = []
        for column in table.columns:
            cell = WriteOnlyCell(ws, value=column)
            cell.font = bold
            header.append(cell)
        ws.append(header)
        cells: dict = {}  # (format, marker) -> the sheet's cell of that style
        for row in table.rows:
            ws.append(_row(ws, table, row, cells))
        if table.rows:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{len(table.rows) + 1}"
    sink = io.BytesIO()
    wb.save(sink)
    return sink.getvalue()


def put(store: Store, key: str, data: bytes) -> str:
    """Store one published file; returns its URI (``file:///...`` or ``s3://...``)."""
    suffix = key.rsplit(".", 1)[-1]
    store.put_bytes(key, data, CONTENT_TYPES.get(suffix, "application/octet-stream"))
    return store.uri(key)
