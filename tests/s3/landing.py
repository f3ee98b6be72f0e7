"""Helpers for the S3 tests: land a file as an office would (a PUT), and compare warehouses by content."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import psycopg2

from tests.pipeline import source_file


def land_s3(server, root: str, src: Path, periode: str, kode_kabkota: str, name: str | None = None,
            content: bytes | None = None) -> str:
    """PUT a file into ``landing/21/<periode>/<kabkota>/`` under the data root; returns its VersionId."""
    prefix = urlparse(root).path.strip("/")
    path = source_file(src, periode, kode_kabkota)
    key = f"{prefix}/landing/21/{periode}/{kode_kabkota}/{name or path.name}"
    body = path.read_bytes() if content is None else content
    put = server.client.put_object(Bucket=server.bucket, Key=key, Body=body, ContentType="text/csv")
    return put["VersionId"]


def query(dsn: str, sql: str, params=None) -> list[tuple]:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


# Each table with its surrogate keys (batch_id, submission_id) replaced by the content they stand for
# (the file's sha256), so two warehouses loaded from the same bytes compare equal wherever they came from.
CONTENT = {
    "submission": "SELECT province, periode, kode_kabkota, sha256, size_bytes, archive_key, status, "
                  "row_count, reasons FROM raw.submission ORDER BY 1, 2, 3, 4",
    "load_batch": "SELECT s.sha256, b.province, b.periode, b.kode_kabkota, b.row_count, "
                  "b.superseded_at IS NULL "
                  "FROM core.load_batch b JOIN raw.submission s USING (submission_id) ORDER BY 1",
    "kabkota_month": "SELECT km.province, km.periode, km.kode_kabkota, s.sha256 FROM core.kabkota_month km "
                     "JOIN core.load_batch b ON b.batch_id = km.current_batch_id "
                     "JOIN raw.submission s ON s.submission_id = b.submission_id ORDER BY 1, 2, 3",
    "distribution": "SELECT s.sha256, d.source_line, d.province, d.periode, d.kode_kabkota, "
                    "d.kode_kecamatan, d.kode_desa, d.kk_hash, d.nik_hash, d.kode_program, d.nominal, "
                    "d.tanggal_salur, d.saluran, d.desil, d.id_kelompok FROM core.distribution d "
                    "JOIN core.load_batch b USING (batch_id) JOIN raw.submission s USING (submission_id) "
                    "ORDER BY 1, 2",
    # not which batch saw a household first: with months merged three at a time, that is whichever
    # concurrent run committed first, on a folder as on S3
    "household": "SELECT h.kk_hash, h.province FROM core.household h ORDER BY 1",
    "person": "SELECT p.nik_hash, p.jenis_kelamin, p.tahun_lahir FROM core.person p ORDER BY 1",
    "summary": "SELECT * FROM mart.distribution_summary ORDER BY 1, 2, 3, 4, 5",
    # every rule's outcome but the row-count rule's: it compares a file with the months of its kab/kota
    # merged before it, and in a backfill the three months running together merge in whichever order
    # their tasks happen to finish, on a folder as on S3 (README, "History"); that it ran is compared
    "rule_result": "SELECT s.sha256, r.rule, r.severity, r.success, r.element_count, r.unexpected_count "
                   "FROM dq.rule_result r JOIN raw.submission s USING (submission_id) "
                   "WHERE r.rule <> 'row_count_vs_history' ORDER BY 1, 2",
    "row_count_rule_ran": "SELECT s.sha256, r.severity FROM dq.rule_result r JOIN raw.submission s "
                          "USING (submission_id) WHERE r.rule = 'row_count_vs_history' ORDER BY 1",
}


def content_snapshot(dsn: str) -> dict[str, list[tuple]]:
    return {name: query(dsn, sql) for name, sql in CONTENT.items()}
