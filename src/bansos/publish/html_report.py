"""The published HTML report of a province-year: one self-contained page the office can open or attach.

Sections: headline figures; KK assisted for each kab/kota by programme (chart and the province's
yearly table); the monthly trend (KK per programme, Rupiah); the completeness and timeliness matrix
with reporting rates; the data-quality summary; the reconciliation; the files published beside it.
Charts are inline SVG from :mod:`bansos.publish.charts`, styles are inline; no script, font or image is
fetched from anywhere. Only province and kab/kota figures appear (kecamatan figures are in the files,
with small cells suppressed), and no identifier of any kind.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from html import escape

from bansos.domain.config import Province
from bansos.publish import charts, summaries
from bansos.publish.marts import Table
from bansos.publish.reconcile import Reconciliation

STATUS_COLOUR = {"tepat waktu": "#cfe8d5", "terlambat": "#fbe3b5", "ditolak": "#f5c2c2",
                 "tidak ada": "#e6e6e6", "sedang diproses": "#d9e4f5", "belum jatuh tempo": "#ffffff"}
CSS = """
body{font-family:system-ui,'Segoe UI',Arial,sans-serif;margin:2rem auto;max-width:1100px;color:#222;
padding:0 1rem} h1{font-size:1.6rem;margin-bottom:.2rem}
h2{margin-top:2.2rem;border-bottom:2px solid #1b6ca8;padding-bottom:.2rem}
.meta{color:#555} .cards{display:flex;flex-wrap:wrap;gap:.8rem;margin:1rem 0}
.card{border:1px solid #ccd;border-radius:6px;padding:.6rem .9rem;min-width:150px}
.card b{display:block;font-size:1.3rem} table{border-collapse:collapse;margin:.8rem 0;font-size:.85rem}
th,td{border:1px solid #ccc;padding:.25rem .45rem;text-align:left} td.n{text-align:right}
th{background:#eef3f8} .ok{color:#1d7a3a;font-weight:bold} .bad{color:#b02020;font-weight:bold}
.note{font-size:.85rem;color:#444;max-width:900px}
"""


def rupiah(value) -> str:
    return "" if value is None else "Rp" + charts.number(value)


def _cell(value, kind: str) -> str:
    if value is None or value == "":
        return "<td></td>"
    if kind == "rupiah" and not isinstance(value, str):
        return f'<td class="n">{rupiah(value)}</td>'
    if kind in ("int", "number") and not isinstance(value, str):
        return f'<td class="n">{charts.number(value)}</td>'
    return f"<td>{escape(str(value))}</td>"


def html_table(table: Table, limit: int | None = None, colour: dict[str, str] | None = None) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in table.columns)
    body = []
    for row in table.rows[:limit]:
        cells = []
        for value, kind in zip(row, table.kinds, strict=True):
            if colour and isinstance(value, str) and value in colour:
                cells.append(f'<td style="background:{colour[value]}">{escape(value)}</td>')
            else:
                cells.append(_cell(value, kind))
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = ""
    if limit is not None and len(table.rows) > limit:
        more = f'<p class="note">… {len(table.rows) - limit} baris lagi di berkas CSV.</p>'
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}"


def _card(label: str, value: str) -> str:
    return f'<div class="card">{escape(label)}<b>{escape(value)}</b></div>'


def _approval(total: dict) -> str:
    """Issue 13: how much of the year the province has approved. The headline cards above stay as they were; this
    says the final-only headline and how many kab/kota-months are still provisional (not yet approved)."""
    if total.get("approval_status") is None:
        return ""
    provisional = int(total.get("provisional_months") or 0)
    final = charts.number(total.get("kk_sum_programmes_final") or 0)
    state = ("semua kab/kota-bulan sudah disetujui (final)" if provisional == 0
             else f"{provisional} kab/kota-bulan masih sementara (provisional, belum disetujui)")
    return ('<p class="approval" id="approval">'
            f"<strong>Persetujuan:</strong> {escape(state)}. KK dibantu (dijumlah atas program), hanya bulan "
            f"final: <strong>{escape(final)}</strong>. "
            f"(Approval: {provisional} kab/kota-month(s) still provisional; the final-only headline is "
            f"{escape(final)}.)</p>")


def _dq_by_rule(dq: Table) -> Table:
    totals: dict[tuple, list] = defaultdict(lambda: [0, 0, 0])
    for r in dq.records():
        key = (r["aturan"], r["tingkat_keparahan"], r["keterangan"])
        totals[key][0] += r["kiriman_diperiksa"]
        totals[key][1] += r["kiriman_gagal"]
        totals[key][2] += r["baris_gagal"] or 0
    rows = sorted(((*k, *v) for k, v in totals.items()), key=lambda row: (-row[4], row[1], row[0]))
    columns = ("aturan", "tingkat", "keterangan", "kiriman diperiksa", "kiriman gagal", "baris gagal")
    return Table("kualitas_per_aturan", columns, ("text", "text", "text", "int", "int", "int"), rows)


def render(
    province: Province,
    tahun: int,
    *,
    distribution: Table,
    completeness: Table,
    rates: Table,
    dq: Table,
    reconciliation: Reconciliation,
    files: list[str],
    generated_at: datetime,
    suppressed: int,
) -> str:
    """The whole page as a string (UTF-8 when stored)."""
    year = {(r["tingkat"], r["kode_wilayah"], r["kode_program"]): r
            for r in distribution.records() if r["jenis_periode"] == "tahun"}
    total = year.get(("provinsi", province.kode, None), {})
    year_rate = next((r for r in rates.records() if r["bulan"] is None), {})
    title = f"Penyaluran bantuan sosial, Provinsi {province.nama} ({province.kode}), tahun {tahun}"
    as_of = next((r["keadaan_per"] for r in completeness.records()), "")
    parts = [f"<h1>{escape(title)}</h1>",
             f'<p class="meta">Dinas Sosial Provinsi {escape(province.nama)}. '
             f"Dibuat {generated_at:%Y-%m-%d %H:%M} UTC; kelengkapan per {escape(str(as_of))} "
             f"({escape(province.timezone)}).</p>"]

    rec = reconciliation.summary()
    rec_text = "cocok" if rec["ok"] else f"{rec['differences']} selisih"
    reporting = year_rate.get("reporting_rate_pct")
    parts.append('<div class="cards">' + "".join([
        _card("KK dibantu (dijumlah atas program)", charts.number(total.get("kk_sum_programmes") or 0)),
        _card("KK berbeda (semua program)", charts.number(total.get("kk_assisted") or 0)),
        _card("Penerima (orang)", charts.number(total.get("persons") or 0)),
        _card("Penyaluran", charts.number(total.get("distributions") or 0)),
        _card("Total disalurkan", rupiah(total.get("total_rupiah") or 0)),
        _card("Tingkat pelaporan", "-" if reporting is None else f"{float(reporting):.1f}%".replace(".", ",")),
        _card("Rekonsiliasi", rec_text),
    ]) + "</div>")
    parts.append(_approval(total))

    # Each kab/kota by programme
    programmes = summaries.programmes_present(distribution, province)
    kabkota = list(province.kabkota)
    series = [(p.kode, [year.get(("kabupaten_kota", k.kode, p.kode), {}).get("kk_assisted") for k in kabkota])
              for p in programmes]
    parts.append("<h2>KK dibantu per kabupaten/kota dan program</h2>")
    parts.append(charts.stacked_bars([k.short for k in kabkota], series,
                                     f"KK dibantu per kabupaten/kota dan program, {tahun}"))
    parts.append('<p class="note">Satu rumah tangga yang menerima dua program dihitung sekali di tiap '
                 "program; baris \"dijumlah atas program\" adalah angka yang biasa dilaporkan provinsi, "
                 "baris \"KK berbeda\" menghitung tiap rumah tangga sekali.</p>")
    parts.append(html_table(summaries.yearly_table(distribution, province)))
    parts.append(html_table(summaries.yearly_table(distribution, province, "total_rupiah")))
    if any(p.counts_persons for p in programmes):
        # a programme counted in persons (P3KE BLT) is reported in persons, beside the KK above
        parts.append("<h2>Penerima per program, dalam satuan program</h2>")
        parts.append('<p class="note">Program yang dihitung per orang (NIK berbeda) dapat menyalurkan ke '
                     "beberapa anggota satu KK; program lain dihitung per KK (No KK berbeda).</p>")
        parts.append(html_table(summaries.yearly_table(distribution, province, "recipients")))

    # Monthly trend
    trend = summaries.monthly_trend(distribution, province)
    months = [summaries.MONTHS[r[0] - 1] for r in trend.rows]
    parts.append("<h2>Tren bulanan</h2>")
    lines = [(p.kode, [r[trend.index(f"kk_{p.kode}")] for r in trend.rows]) for p in programmes]
    lines.append(("KK berbeda, semua program", [r[trend.index("kk_assisted")] for r in trend.rows]))
    parts.append(charts.lines(months, lines, f"KK dibantu per bulan dan program, {tahun}"))
    parts.append(charts.columns(months, [r[trend.index("total_rupiah")] for r in trend.rows],
                                f"Rupiah disalurkan per bulan, {tahun}", fmt=rupiah))
    parts.append(html_table(trend))

    # Completeness
    parts.append("<h2>Kelengkapan dan ketepatan waktu laporan kabupaten/kota</h2>")
    parts.append(f'<p class="note">Tepat waktu: berkas pertama bulan itu tiba paling lambat tanggal '
                 f"{province.deadline_day} bulan berikutnya ({escape(province.timezone)}). "
                 "Tingkat pelaporan = berkas diterima dan dimuat / berkas yang diharapkan (bulan yang sudah "
                 "jatuh tempo; sebelum itu hanya berkas yang sudah tiba).</p>")
    matrix = summaries.completeness_matrix(completeness, rates, province)
    parts.append(html_table(matrix, colour=STATUS_COLOUR))
    parts.append("<p>" + " ".join(f'<span style="background:{c};border:1px solid #ccc;padding:0 .4rem">'
                                  f"{escape(label)}</span>" for label, c in STATUS_COLOUR.items()) + "</p>")

    # Data quality
    parts.append("<h2>Kualitas data</h2>")
    by_rule = _dq_by_rule(dq)
    if by_rule.rows:
        parts.append('<p class="note">Hasil pemeriksaan terbaru tiap berkas, dijumlah setahun. '
                     "Aturan <i>error</i> menolak berkas; aturan <i>warning</i> dicatat dan berkas tetap "
                     "dimuat.</p>")
        parts.append(html_table(by_rule))
    else:
        parts.append("<p>Belum ada hasil pemeriksaan.</p>")

    # Reconciliation
    parts.append("<h2>Rekonsiliasi</h2>")
    figures, differing = charts.number(rec["figures"]), charts.number(rec["differences"])
    verdict = (f'<span class="ok">Semua {figures} angka cocok</span>' if rec["ok"]
               else f'<span class="bad">{differing} dari {figures} angka berselisih</span>')
    parts.append(f"<p>{verdict}: baris berkas yang diterima = baris di core = baris yang dihitung di mart, "
                 "dan Rupiah sumber = core = mart, untuk setiap angka yang diterbitkan (rincian di "
                 "<code>rekonsiliasi.csv</code>).</p>")
    if not rec["ok"]:
        flagged = Table("selisih", reconciliation.table.columns, reconciliation.table.kinds,
                        [tuple(r.values()) for r in reconciliation.flagged])
        parts.append(html_table(flagged, limit=100))

    # Files
    links = "".join(f'<li><a href="{escape(f)}">{escape(f)}</a></li>' for f in files)
    parts.append(f"<h2>Berkas</h2><ul>{links}</ul>")
    parts.append('<p class="note">Semua angka adalah agregat; berkas tidak memuat NIK, No KK, nama, '
                 f"tanggal lahir atau nilai hash-nya. Di tingkat kecamatan, {suppressed} baris disembunyikan "
                 "karena kurang dari 5 KK atau agar angka kecil tidak dapat dihitung kembali (lihat kolom "
                 "<code>sensor</code>).</p>")
    return (f'<!DOCTYPE html><html lang="id"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<meta name="viewport" content="width=device-width,initial-scale=1"><style>{CSS}</style></head>'
            f"<body>{''.join(parts)}</body></html>")
