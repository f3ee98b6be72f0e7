"""Publish one province-year: refresh the marts, reconcile them, export files and the HTML report.

Everything is read in ONE snapshot of the warehouse. The marts are refreshed, reconciled and read in a
single ``REPEATABLE READ`` transaction, taken after the province-year's publish lock (the lock the
monthly refresh also takes): a kab/kota-month merged by a monthly run meanwhile is either in all
files or in none, and the reconciliation never reports a "difference" that is only a merge landing
between two queries. That is why this is one task per province-year in the publish DAG and not one
task per file; the files are then written from memory, with no database connection open.

Files, under ``publish/<province>/<tahun>/`` of the data root (:mod:`bansos.domain.storage`: local folder or S3):

======================================  ==========================================================
``distribusi.{csv,parquet}``            ``mart.distribution_by_region``, kecamatan cells suppressed
``kelengkapan.{csv,parquet}``           completeness and timeliness, kab/kota x month
``tingkat_pelaporan.{csv,parquet}``     reporting and on-time rates per month and for the year
``kualitas_data.{csv,parquet}``         data-quality summary per kab/kota-month and rule
``rekonsiliasi.csv``                    every published figure: file = source = core = mart
``bansos_<province>_<tahun>.xlsx``      all of the above (but reconciliation) as sheets, with notes
``laporan.html``                        the report: charts, the yearly table, matrix, DQ, reconciliation
``manifest.json``                       what was published, when, checksums; written last
======================================  ==========================================================
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from bansos.domain.config import Province, load_province
from bansos.domain.layout import publish_folder
from bansos.domain.storage import Store
from bansos.publish import disclosure, export, html_report, marts, reconcile, summaries
from bansos.publish.marts import Table
from bansos.warehouse import sqlfiles
from bansos.warehouse.database import exclusive

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    """The marts of one province-year as of one moment, with their reconciliation."""

    province: str
    tahun: int
    refreshed: dict[str, int]
    distribution: Table
    completeness: Table
    rates: Table
    dq: Table
    reconciliation: reconcile.Reconciliation


def take_snapshot(dsn: str, province: str, tahun: int, as_of: datetime | None = None) -> Snapshot:
    """Refresh, reconcile and read the marts of a province-year in one consistent transaction."""
    with exclusive(dsn, f"publish:{province}:{int(tahun)}") as cur:
        cur.execute(sqlfiles.read("publish/begin_snapshot.sql"))
        try:
            refreshed = marts.refresh(cur, province, tahun, as_of)
            checked = reconcile.check(
                marts.fetch(cur, "publish/marts/reconcile.sql", province, tahun, "rekonsiliasi"), province, tahun
            )
            snapshot = Snapshot(
                province, int(tahun), refreshed,
                distribution=marts.fetch(cur, "publish/marts/export_distribution.sql", province, tahun, "distribusi"),
                completeness=marts.fetch(cur, "publish/marts/export_completeness.sql", province, tahun, "kelengkapan"),
                rates=marts.fetch(cur, "publish/marts/export_reporting_rate.sql", province, tahun, "tingkat_pelaporan"),
                dq=marts.fetch(cur, "publish/marts/export_dq_summary.sql", province, tahun, "kualitas_data"),
                reconciliation=checked,
            )
            cur.execute(sqlfiles.read("warehouse/commit.sql"))
        except BaseException:
            cur.execute(sqlfiles.read("warehouse/rollback.sql"))
            raise
    return snapshot


def _notes(province: Province, snapshot: Snapshot, generated_at: datetime,
           suppression: disclosure.Suppression) -> list[tuple[str, str]]:
    title = f"Penyaluran bantuan sosial, Provinsi {province.nama} ({province.kode}), tahun {snapshot.tahun}"
    return [
        ("Judul", title),
        ("Penerbit", f"Dinas Sosial Provinsi {province.nama}"),
        ("Dibuat (UTC)", f"{generated_at:%Y-%m-%d %H:%M}"),
        ("KK dibantu", "Jumlah No KK berbeda yang menerima paling sedikit satu penyaluran program itu pada "
                       "periode dan wilayah baris. 'kk_sum_programmes' menjumlahkan angka itu atas program "
                       "(angka yang dilaporkan provinsi); pada baris 'Semua program', 'kk_assisted' "
                       "menghitung tiap KK sekali."),
        ("Rupiah", "Nilai penyaluran dalam Rupiah penuh; rata-rata dibulatkan ke Rupiah terdekat."),
        ("Kode", "Kode wilayah Kemendagri dan kode program ditulis sebagai teks (21.71, 21.71.01)."),
        ("Sensor", f"{disclosure.NOTE} Baris disembunyikan: {suppression.primary} ('<5'), "
                   f"{suppression.secondary} ('x')."),
        ("Kelengkapan", "Tepat waktu bila berkas pertama bulan itu tiba paling lambat tanggal "
                        f"{province.deadline_day} bulan berikutnya, waktu {province.timezone}."),
        ("Kualitas data", "Lembar 'Kualitas data (gagal)' memuat aturan yang gagal saja; kualitas_data.csv "
                          "memuat semua pemeriksaan."),
        ("Data pribadi", "Berkas ini hanya berisi angka agregat: tanpa NIK, No KK, nama, tanggal lahir atau "
                         "hash-nya."),
    ]


def _failures(dq: Table) -> Table:
    """The workbook shows the checks that failed; the CSV and Parquet files hold every check."""
    failed = dq.index("kiriman_gagal")
    return dq.replace_rows([row for row in dq.rows if row[failed]])


def write_files(store: Store, province: Province, snapshot: Snapshot,
                generated_at: datetime | None = None) -> dict:
    """Write every file of the publication; returns the manifest (also stored as ``manifest.json``)."""
    generated_at = generated_at or datetime.now(UTC)
    prefix = publish_folder(province.kode, snapshot.tahun)
    distribution, suppression = disclosure.suppress(snapshot.distribution)
    notes = _notes(province, snapshot, generated_at, suppression)
    parquet_notes = {label.lower().replace(" ", "_"): text for label, text in notes}
    files: dict[str, bytes] = {}
    for table in (distribution, snapshot.completeness, snapshot.rates, snapshot.dq):
        files[f"{table.name}.csv"] = export.to_csv(table)
        files[f"{table.name}.parquet"] = export.to_parquet(table, parquet_notes)
    files["rekonsiliasi.csv"] = export.to_csv(snapshot.reconciliation.table)
    files[f"bansos_{province.kode}_{snapshot.tahun}.xlsx"] = export.to_xlsx(
        [
            ("Rekap KK tahunan", summaries.yearly_table(snapshot.distribution, province)),
            ("Rekap Rupiah tahunan", summaries.yearly_table(snapshot.distribution, province, "total_rupiah")),
            # each programme in its counting unit (KK, or persons for a programme counted per NIK)
            ("Rekap penerima tahunan", summaries.yearly_table(snapshot.distribution, province, "recipients")),
            ("Tren bulanan", summaries.monthly_trend(snapshot.distribution, province)),
            ("Distribusi", distribution),
            ("Matriks kelengkapan",
             summaries.completeness_matrix(snapshot.completeness, snapshot.rates, province)),
            ("Kelengkapan", snapshot.completeness),
            ("Tingkat pelaporan", snapshot.rates),
            ("Kualitas data (gagal)", _failures(snapshot.dq)),
        ],
        notes,
    )
    files["laporan.html"] = html_report.render(
        province, snapshot.tahun,
        distribution=snapshot.distribution, completeness=snapshot.completeness, rates=snapshot.rates,
        dq=snapshot.dq, reconciliation=snapshot.reconciliation, files=sorted(files),
        generated_at=generated_at, suppressed=suppression.total,
    ).encode("utf-8")
    for name, data in files.items():
        export.put(store, f"{prefix}/{name}", data)
    manifest = {
        "province": province.kode,
        "tahun": snapshot.tahun,
        "generated_at": generated_at.isoformat(timespec="seconds"),
        "location": store.uri(prefix),
        "report": store.uri(f"{prefix}/laporan.html"),
        "files": [{"name": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                  for name, data in sorted(files.items())],
        "marts_refreshed": snapshot.refreshed,
        "suppressed": {"primary": suppression.primary, "secondary": suppression.secondary},
        "reconciliation": snapshot.reconciliation.summary(),
    }
    export.put(store, f"{prefix}/manifest.json", json.dumps(manifest, indent=2).encode("utf-8"))
    return manifest


def publish_year(dsn: str, store: Store, province: str, tahun: int, as_of: datetime | None = None) -> dict:
    """Snapshot and write one province-year; returns a small summary (locations, counts, reconciliation)."""
    snapshot = take_snapshot(dsn, province, tahun, as_of)
    manifest = write_files(store, load_province(province), snapshot)
    rec = manifest["reconciliation"]
    log.info("published %s %s to %s (%s files); reconciliation: %s figures, %s differences", province, tahun,
             manifest["location"], len(manifest["files"]), rec["figures"], rec["differences"])
    return {"province": province, "tahun": int(tahun), "location": manifest["location"],
            "report": manifest["report"], "files": len(manifest["files"]), "reconciliation": rec}


def publish(province: str, tahun: int) -> dict:
    """The publish DAG's task: :func:`publish_year` on the warehouse and data root from :mod:`runtime`."""
    from bansos.warehouse import runtime

    return publish_year(runtime.warehouse_dsn(), runtime.store(), province, tahun)


def published(store: Store, province: str, tahun: int) -> dict | None:
    """What the last publication of a province-year wrote (from its ``manifest.json``), in the shape of
    :func:`publish_year`'s result; None if it was never published."""
    key = f"{publish_folder(province, tahun)}/manifest.json"
    if not store.exists(key):
        return None
    with store.open(key) as fh:
        manifest = json.loads(fh.read())
    return {"province": province, "tahun": int(tahun), "location": manifest["location"],
            "report": manifest["report"], "files": len(manifest["files"]),
            "reconciliation": manifest["reconciliation"]}


def describe(result: dict) -> str:
    """Where the files and the report are, for people (``make demo`` prints this)."""
    rec = result["reconciliation"]
    verdict = "all figures agree" if rec["ok"] else f"{rec['differences']} figures DIFFER"
    return (f"Published {result['province']} {result['tahun']}: {result['files']} files in "
            f"{result['location']}\n"
            f"Report: {result['report']}\n"
            f"Reconciliation: {rec['figures']} figures, {verdict}")
