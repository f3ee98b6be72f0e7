"""Rows -> one CSV file in the landing area, byte for byte reproducible.

The template's format is UTF-8, comma-separated, header row; the generator writes ``\\n``
line endings. The format is a parameter (``CsvFormat``) because a later defect switch will
write the same rows with semicolons or in cp1252, as some kab/kota offices do. Rows arrive as
an iterable of DataFrame chunks, so a file of any size is written with bounded memory. The
file is written under a temporary name and renamed, so a reader never sees half a file.

A chunk whose values need no quoting (the normal case) is joined with ``str.join``, which is
faster than ``csv.writer`` (``docs/decisions.md``); a chunk with a separator, quote or line break
in a value goes through ``csv.writer`` and gets standard quoting. The bytes are the same either
way for values that need no quoting.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import pandas as pd

from tools.synthetic.layout import COLUMNS


@dataclass(frozen=True)
class CsvFormat:
    sep: str = ","
    encoding: str = "utf-8"
    lineterminator: str = "\n"


TEMPLATE_FORMAT = CsvFormat()


def _write_lines(fh: TextIO, rows: list[tuple[str, ...]], width: int, fmt: CsvFormat) -> None:
    text = fmt.lineterminator.join(map(fmt.sep.join, rows))
    plain = (
        text.count(fmt.sep) == (width - 1) * len(rows)
        and '"' not in text
        and "\n" not in text.replace(fmt.lineterminator, "")
        and "\r" not in text.replace(fmt.lineterminator, "")
    )
    if plain:
        fh.write(text + fmt.lineterminator)
    else:
        csv.writer(fh, delimiter=fmt.sep, lineterminator=fmt.lineterminator).writerows(rows)


def write_csv(path: Path, chunks: Iterable[pd.DataFrame], fmt: CsvFormat = TEMPLATE_FORMAT) -> int:
    """Write the chunks to ``path`` under one header row; returns the number of rows.

    Every value must be text (empty string for "no value"). All chunks must have the first
    chunk's columns; with no chunks at all the file holds the template header only.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    rows = 0
    columns: list[str] | None = None
    try:
        with partial.open("w", encoding=fmt.encoding, newline="") as fh:
            for chunk in chunks:
                if columns is None:
                    columns = [str(c) for c in chunk.columns]
                    _write_lines(fh, [tuple(columns)], len(columns), fmt)
                elif list(chunk.columns) != columns:
                    raise ValueError(f"{path.name}: chunk columns differ from the first chunk's")
                if len(chunk):
                    values = list(zip(*(chunk[c].tolist() for c in columns), strict=True))
                    _write_lines(fh, values, len(columns), fmt)
                rows += len(chunk)
            if columns is None:
                _write_lines(fh, [COLUMNS], len(COLUMNS), fmt)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return rows
