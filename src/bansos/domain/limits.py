"""How big a received file may be before the pipeline reads it: the limits of a hostile or broken file.

A kab/kota office's file is untrusted input. Each limit turns what would exhaust a worker or a
PostgreSQL limit (a zip bomb unpacked by openpyxl, a 2,000-column header, a 1 GB "line") into a
rejection with a reason, decided before the file is parsed. The defaults fit the largest real extract
(Excel's 1,048,576 rows of the 16-column template) with room to spare; a deployment changes them with
environment variables, read at each call so a worker picks up a new value without a restart.

| limit | environment variable | default |
|---|---|---|
| columns in the header | ``BANSOS_MAX_COLUMNS`` | 200 (at most 1,599: PostgreSQL's 1,600 less the line number) |
| bytes in one CSV line | ``BANSOS_MAX_LINE_BYTES`` | 1,048,576 (1 MiB; a template row is about 200 bytes) |
| XLSX: bytes once unzipped, all parts | ``BANSOS_XLSX_MAX_UNCOMPRESSED_BYTES`` | 2,147,483,648 (2 GiB) |
| XLSX: unzipped / zipped size of a part over 1 MiB | ``BANSOS_XLSX_MAX_COMPRESSION_RATIO`` | 100 (a sheet: about 11) |
| XLSX: cells in a sheet's declared dimension | ``BANSOS_XLSX_MAX_CELLS`` | 50,000,000 |
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields

# A PostgreSQL table has at most 1,600 columns; the raw staging table adds its line number to the file's.
POSTGRES_MAX_FILE_COLUMNS = 1600 - 1


@dataclass(frozen=True)
class FileLimits:
    max_columns: int = 200
    max_line_bytes: int = 1 << 20
    xlsx_max_uncompressed_bytes: int = 2 << 30
    xlsx_max_compression_ratio: int = 100
    xlsx_max_cells: int = 50_000_000


ENVIRONMENT = {
    "max_columns": "BANSOS_MAX_COLUMNS",
    "max_line_bytes": "BANSOS_MAX_LINE_BYTES",
    "xlsx_max_uncompressed_bytes": "BANSOS_XLSX_MAX_UNCOMPRESSED_BYTES",
    "xlsx_max_compression_ratio": "BANSOS_XLSX_MAX_COMPRESSION_RATIO",
    "xlsx_max_cells": "BANSOS_XLSX_MAX_CELLS",
}


def _positive_int(variable: str, value: str) -> int:
    try:
        number = int(value.replace("_", ""))
    except ValueError:
        number = 0
    if number <= 0:
        raise ValueError(f"{variable} must be a positive whole number, not {value!r}")
    return number


def file_limits() -> FileLimits:
    """The limits in force: each environment variable that is set overrides its default."""
    values = {
        f.name: _positive_int(ENVIRONMENT[f.name], os.environ[ENVIRONMENT[f.name]])
        for f in fields(FileLimits)
        if os.environ.get(ENVIRONMENT[f.name])
    }
    if "max_columns" in values:
        values["max_columns"] = min(values["max_columns"], POSTGRES_MAX_FILE_COLUMNS)
    return FileLimits(**values)
