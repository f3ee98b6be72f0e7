"""Reading a file's head against the template: encodings, delimiters and header names."""

from __future__ import annotations

import io

import pytest

from bansos.stage.contract import COLUMN_NAMES, FileRejected, inspect_csv, map_header

HEADER = ",".join(COLUMN_NAMES)
ROW = ",".join(
    ["2022-03", "21.71", "21.71.01", "21.71.01.1002", "2171011203100001", "2171015505800002", "SITI", "P",
     "1980-05-15", "", "JAMSOS", "300000", "2022-03-10", "TUNAI", "2", ""]
)


def test_template_header_maps_one_to_one():
    columns, unknown, missing = map_header(list(COLUMN_NAMES))
    assert columns == list(COLUMN_NAMES) and unknown == [] and missing == []


def test_header_names_are_normalised():
    columns, _, _ = map_header([" Periode ", *COLUMN_NAMES[1:5], "NIK", *COLUMN_NAMES[6:]])
    assert columns[0] == "periode" and columns[5] == "nik"


def test_optional_columns_may_be_left_out_and_unknown_ones_are_kept_apart():
    names = [c for c in COLUMN_NAMES if c not in ("alamat", "desil", "id_kelompok")] + ["keterangan"]
    columns, unknown, missing = map_header(names)
    assert missing == ["alamat", "desil", "id_kelompok"]
    assert unknown == ["keterangan"] and columns[-1] == "extra_1"


def test_misspelt_required_column_is_named_with_a_hint():
    names = ["no_kkk" if c == "no_kk" else c for c in COLUMN_NAMES]
    with pytest.raises(FileRejected) as exc:
        map_header(names)
    assert exc.value.code == "missing_columns"
    assert "'no_kk' (tertulis 'no_kkk'?)" in exc.value.message


def test_duplicate_column_is_rejected():
    with pytest.raises(FileRejected) as exc:
        map_header([*COLUMN_NAMES, "nik"])
    assert exc.value.code == "duplicate_column"


@pytest.mark.parametrize(
    "data,encoding,delimiter,bom",
    [
        ((HEADER + "\n" + ROW + "\n").encode(), "UTF8", ",", False),
        ((HEADER + "\r\n" + ROW + "\r\n").replace(",", ";").encode(), "UTF8", ";", False),
        (b"\xef\xbb\xbf" + (HEADER + "\n" + ROW + "\n").encode(), "UTF8", ",", True),
        ((HEADER + "\n" + ROW.replace("SITI", "ZULKARNAÉN") + "\n").encode("cp1252"), "WIN1252", ",", False),
    ],
    ids=["utf8", "semicolon", "bom", "cp1252"],
)
def test_inspect_detects_encoding_delimiter_and_bom(data, encoding, delimiter, bom):
    layout = inspect_csv(io.BytesIO(data))
    assert (layout.encoding, layout.delimiter, layout.has_bom) == (encoding, delimiter, bom)
    assert layout.columns == list(COLUMN_NAMES)


@pytest.mark.parametrize(
    "data,code", [(b"", "empty_file"), (b"\n\n", "empty_file"), ((HEADER + "\n").encode(), "no_rows")]
)
def test_empty_files_are_rejected(data, code):
    with pytest.raises(FileRejected) as exc:
        inspect_csv(io.BytesIO(data))
    assert exc.value.code == code


def test_a_line_is_measured_across_the_blocks_the_file_is_read_in(monkeypatch):
    monkeypatch.setenv("BANSOS_MAX_LINE_BYTES", "1500000")
    rows = ROW + "\n"
    filler = (rows * ((1 << 20) // len(rows)))[: (1 << 20) - 1000]  # the long line starts just before 1 MiB
    long_row = ROW.replace("SITI", "S" * 1_600_000)
    with pytest.raises(FileRejected) as exc:
        inspect_csv(io.BytesIO((HEADER + "\n" + filler + "\n" + long_row + "\n").encode()))
    assert exc.value.code == "line_too_long"
    assert exc.value.message.startswith(f"Baris {filler.count(chr(10)) + 3} ")
    layout = inspect_csv(io.BytesIO((HEADER + "\n" + rows * 20_000).encode()))  # 5 MiB of ordinary lines
    assert layout.columns == list(COLUMN_NAMES)


def test_limits_come_from_the_environment_and_stay_within_postgresql(monkeypatch):
    from bansos.domain.limits import FileLimits, file_limits

    assert file_limits() == FileLimits()
    monkeypatch.setenv("BANSOS_XLSX_MAX_CELLS", "1_000")
    monkeypatch.setenv("BANSOS_MAX_COLUMNS", "5000")
    assert (file_limits().xlsx_max_cells, file_limits().max_columns) == (1000, 1599)
    monkeypatch.setenv("BANSOS_MAX_LINE_BYTES", "satu juta")
    with pytest.raises(ValueError, match="BANSOS_MAX_LINE_BYTES"):
        file_limits()
