"""The life of one received file: received -> staged -> accepted or rejected (-> superseded).

``raw.submission`` is the ledger of everything kab/kota offices sent: where it came from, its
checksum, where its byte-for-byte copy is archived and what became of it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from bansos import sqlfiles
from bansos.warehouse import connect


@dataclass(frozen=True)
class Submission:
    submission_id: int
    province: str
    periode: str
    kode_kabkota: str
    source_uri: str
    sha256: str
    archive_key: str
    status: str
    row_count: int | None
    reasons: list

    @property
    def file_name(self) -> str:
        return self.archive_key.rsplit("/", 1)[-1]


def get(dsn: str, submission_id: int) -> Submission:
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT submission_id, province, periode, kode_kabkota, source_uri, sha256, archive_key, status, "
            "row_count, reasons FROM raw.submission WHERE submission_id = %s",
            (submission_id,),
        )
        row = cur.fetchone()
    if row is None:
        raise LookupError(f"no submission {submission_id}")
    return Submission(*row)


def set_status(
    dsn: str,
    submission_id: int,
    status: str,
    *,
    row_count: int | None = None,
    reasons: list | None = None,
    quarantine_key: str | None = None,
) -> None:
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            sqlfiles.read("extract/set_status.sql"),
            {
                "submission_id": submission_id,
                "status": status,
                "row_count": row_count,
                "reasons": json.dumps(reasons) if reasons is not None else None,
                "quarantine_key": quarantine_key,
            },
        )
