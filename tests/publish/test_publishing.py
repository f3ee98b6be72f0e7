"""Pure parts of publishing: suppression, reconciliation verdicts, asset events, file formats, charts."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from bansos.orchestration import assets
from bansos.publish import charts, disclosure, export, reconcile
from bansos.publish.marts import Table

DIST_COLUMNS = ("jenis_periode", "periode", "triwulan", "bulan", "tingkat", "kode_wilayah", "kode_kabkota",
                "kode_kecamatan", "kode_program", "kk_assisted", "distributions", "total_rupiah")
DIST_KINDS = ("text",) * 9 + ("int", "int", "rupiah")


def dist(rows: list[tuple]) -> Table:
    return Table("distribusi", DIST_COLUMNS, DIST_KINDS, rows)


def kec(kecamatan: str, kk: int, programme: str = "UEP") -> tuple:
    return ("tahun", "2022", None, None, "kecamatan", kecamatan, "21.71", kecamatan, programme,
            kk, kk, kk * 1000)


def test_a_small_kecamatan_cell_is_hidden_with_a_second_one_so_it_cannot_be_recomputed():
    table = dist([
        ("tahun", "2022", None, None, "kabupaten_kota", "21.71", "21.71", None, "UEP", 63, 63, 63000),
        kec("21.71.01", 3), kec("21.71.02", 40), kec("21.71.03", 20),
    ])
    out, counts = disclosure.suppress(table)
    marks = [r[-1] for r in out.rows]
    assert marks == [None, "<5", None, "x"], "the smallest other kecamatan hides the first"
    assert (counts.primary, counts.secondary) == (1, 1)
    assert out.rows[1][out.index("total_rupiah")] == "<5" and out.rows[3][out.index("kk_assisted")] == "x"
    assert out.rows[0][out.index("kk_assisted")] == 63, "kab/kota figures are never hidden"
    assert out.columns[-1] == disclosure.NOTE_COLUMN


def test_two_small_cells_in_a_line_need_no_complement_and_big_cells_stay():
    out, counts = disclosure.suppress(dist([kec("21.71.01", 2), kec("21.71.02", 4), kec("21.71.03", 90)]))
    assert [r[-1] for r in out.rows] == ["<5", "<5", None]
    assert counts.secondary == 0
    untouched, none = disclosure.suppress(dist([kec("21.71.01", 5), kec("21.71.02", 6)]))
    assert none.total == 0 and [r[-1] for r in untouched.rows] == [None, None]


def test_complements_cascade_across_programmes():
    # kecamatan .01: UEP 3 is hidden; in its kab/kota line .02 hides too; then .02's programme line
    # (UEP hidden, JAMSOS shown) needs a second hidden cell.
    rows = [kec("21.71.01", 3), kec("21.71.02", 8), kec("21.71.02", 50, "JAMSOS"),
            kec("21.71.03", 60, "JAMSOS")]
    out, counts = disclosure.suppress(dist(rows))
    assert [r[-1] for r in out.rows] == ["<5", "x", "x", "x"]
    assert counts.primary == 1


@pytest.mark.parametrize(("extras", "param", "expected"), [
    ([{"province": "21", "tahun": 2022, "periode": "2022-03"}, {"province": "21", "tahun": 2022}], None,
     [2022]),
    ([{"province": "21", "periode": "2023-01"}, {"province": "21", "tahun": 2022}], None, [2022, 2023]),
    ([{"province": "64", "tahun": 2022}, None, {}], None, []),
    ([], 2021, [2021]),
    ([{"province": "21", "tahun": 2022}], 2020, [2020]),
])
def test_publish_targets_come_from_events_or_the_param(extras, param, expected):
    assert [t["tahun"] for t in assets.targets("21", extras, param)] == expected
    assert all(t["province"] == "21" for t in assets.targets("21", extras, param))


def test_the_event_extra_names_the_province_year_and_month():
    assert assets.event_extra("21", "2022-03") == {"province": "21", "tahun": 2022, "periode": "2022-03"}

    class Event:
        def __init__(self, extra):
            self.extra = extra

    events = {"asset": [Event({"tahun": 2022}), Event({"tahun": 2023})]}
    assert assets.extras_of(events) == [{"tahun": 2022}, {"tahun": 2023}]
    assert assets.extras_of(None) == []


def figure(**overrides) -> dict:
    base = {"file_rows": 10, "source_rows": 10, "core_rows": 10, "mart_rows": 10, "summary_rows": 10,
            "source_rupiah": 500, "core_rupiah": 500, "mart_rupiah": 500, "summary_rupiah": 500,
            "has_file": True, "has_source": True, "has_summary": True}
    return base | overrides


def test_reconciliation_flags_each_side_that_differs():
    assert reconcile.differences(figure()) == []
    assert reconcile.differences(figure(source_rows=11)) == ["baris sumber 11 ≠ core 10",
                                                             "baris berkas 10 ≠ sumber 11"]
    assert reconcile.differences(figure(mart_rupiah=499)) == ["Rupiah mart 499 ≠ core 500"]
    assert reconcile.differences(figure(has_file=False, has_source=False, has_summary=False, file_rows=None,
                                        source_rows=None, summary_rows=None, source_rupiah=None,
                                        summary_rupiah=None)) == [], "kecamatan: core = mart is enough"
    missing = reconcile.differences(figure(source_rows=None, source_rupiah=None))
    assert "baris sumber tidak ada ≠ core 10" in missing, "source totals not recorded is a difference too"
    assert "tidak ada di core" in reconcile.differences(figure(core_rows=None, core_rupiah=None))[0]


def test_reconciliation_check_keeps_the_figures_and_adds_a_verdict():
    columns = ("jenis_periode", "kode_wilayah", *figure().keys())
    raw = Table("r", columns, ("text",) * len(columns),
                [("tahun", "21", *figure().values()), ("bulan", "21.71", *figure(core_rows=9).values())])
    result = reconcile.check(raw, "21", 2022)
    assert not result.ok and result.figures == 2 and len(result.flagged) == 1
    assert "has_file" not in result.table.columns and result.table.columns[-2:] == ("status", "selisih")
    assert result.summary() == {"province": "21", "tahun": 2022, "figures": 2, "differences": 1, "ok": False}


SAMPLE = Table("contoh",
               ("kode_wilayah", "periode", "kk_assisted", "total_rupiah", "pct", "batas_waktu", "sensor"),
               ("text", "text", "int", "rupiah", "number", "date", "text"),
               [("21.10", "2022-03", 12, 1_500_000, Decimal("12.5"), date(2022, 4, 10), None),
                ("21.10.01", "2022-03", "<5", "<5", None, None, "<5")])


def test_csv_keeps_codes_and_markers_as_written():
    rows = list(csv.reader(io.StringIO(export.to_csv(SAMPLE).decode("utf-8"))))
    assert rows[0] == list(SAMPLE.columns)
    assert rows[1] == ["21.10", "2022-03", "12", "1500000", "12.5", "2022-04-10", ""]
    assert rows[2][2:4] == ["<5", "<5"]


def test_parquet_is_typed_and_a_suppressed_cell_is_null():
    table = pq.read_table(io.BytesIO(export.to_parquet(SAMPLE, {"catatan": "angka <5 disembunyikan"})))
    assert str(table.schema.field("kode_wilayah").type) == "string"
    assert str(table.schema.field("total_rupiah").type) == "int64"
    assert table.column("kk_assisted").to_pylist() == [12, None]
    assert table.column("kode_wilayah").to_pylist() == ["21.10", "21.10.01"]
    assert table.schema.metadata[b"catatan"] == b"angka <5 disembunyikan"


def test_xlsx_writes_codes_as_text_and_rupiah_with_its_format():
    book = load_workbook(io.BytesIO(export.to_xlsx([("Contoh", SAMPLE)], [("Catatan", "uji")])))
    assert book.sheetnames == ["Catatan", "Contoh"]
    sheet = book["Contoh"]
    code, rupiah, small = sheet["A2"], sheet["D2"], sheet["C3"]
    assert code.value == "21.10" and code.data_type == "s" and code.number_format == "@"
    assert rupiah.value == 1_500_000 and rupiah.number_format == export.RUPIAH_FORMAT
    assert small.value == "<5" and small.data_type == "s"


def test_chart_axes_are_round_and_labels_indonesian():
    assert charts.nice_max(58_849) == (60_000, 20_000)
    assert charts.nice_max(0) == (1.0, 0.2)
    assert charts.number(159_000_000) == "159.000.000"
    assert charts.short_number(1_500_000) == "1,5 jt"
    svg = charts.stacked_bars(["Batam", "<Natuna>"], [("JAMSOS", [10, None]), ("UEP", [5, 2])], "KK")
    assert svg.startswith("<svg") and "&lt;Natuna&gt;" in svg and "<script" not in svg
