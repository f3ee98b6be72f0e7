"""Find a kab/kota's extract for a month in the landing area, archive it byte for byte, register it.

The landing folder ``landing/<province>/<YYYY-MM>/<kab/kota>/`` is the authority for who sent what
for which month. Every file found there is archived under its SHA-256 (so the same bytes landed
twice are one submission) and recorded in ``raw.submission``; the newest one is the kab/kota's
submission for the month, older ones are kept as superseded. The landing file itself is never changed.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

from bansos import sqlfiles
from bansos.storage import ObjectInfo, Store, sha256_of
from bansos.submissions import set_status
from bansos.warehouse import connect

log = logging.getLogger(__name__)

ACCEPTED_SUFFIXES = (".csv", ".xlsx")


@dataclass(frozen=True)
class Found:
    """What the extract step hands to the next task: small references, never data."""

    kode_kabkota: str
    action: str  # "process", "unchanged" or "missing"
    submission_id: int | None = None
    file_name: str | None = None
    sha256: str | None = None
    archive_key: str | None = None
    status: str | None = None

    def to_xcom(self) -> dict:
        return asdict(self)


def landing_prefix(province: str, periode: str, kode_kabkota: str) -> str:
    return f"landing/{province}/{periode}/{kode_kabkota}"


def archive_key(province: str, periode: str, kode_kabkota: str, sha256: str, name: str) -> str:
    return f"archive/{province}/{periode}/{kode_kabkota}/{sha256}/{name}"


def list_candidates(store: Store, province: str, periode: str, kode_kabkota: str) -> list[ObjectInfo]:
    """Files in the kab/kota's landing folder, oldest first (the last one is the submission)."""
    objects = [
        o
        for o in store.list(landing_prefix(province, periode, kode_kabkota))
        if o.name.lower().endswith(ACCEPTED_SUFFIXES)
    ]
    return sorted(objects, key=lambda o: (o.modified, o.key))


def find_and_archive(dsn: str, store: Store, *, province: str, periode: str, kode_kabkota: str) -> Found:
    candidates = list_candidates(store, province, periode, kode_kabkota)
    if not candidates:
        log.warning(
            "no extract for %s %s in %s",
            kode_kabkota,
            periode,
            store.uri(landing_prefix(province, periode, kode_kabkota)),
        )
        return Found(kode_kabkota=kode_kabkota, action="missing")
    registered = []
    for listed in candidates:
        try:
            obj = store.stat(listed.key)  # pins the version that is hashed, archived and recorded
        except FileNotFoundError:
            log.warning("%s was withdrawn while it was being read; skipped", store.uri(listed.key))
            continue
        sha = sha256_of(store, obj.key, obj.version)
        key = archive_key(province, periode, kode_kabkota, sha, obj.name)
        if not store.exists(key):
            store.copy(obj.key, key, obj.version)
        with connect(dsn) as conn, conn.cursor() as cur:
            cur.execute(
                sqlfiles.read("extract/register_submission.sql"),
                {
                    "province": province,
                    "periode": periode,
                    "kode_kabkota": kode_kabkota,
                    "source_uri": store.uri(obj.key),
                    "source_version": obj.version,
                    "landed_at": obj.modified,
                    "size_bytes": obj.size,
                    "sha256": sha,
                    "archive_key": key,
                },
            )
            submission_id, status, is_new = cur.fetchone()
        log.info(
            "%s %s: %s (%s bytes, sha256 %s…) -> submission %s%s",
            kode_kabkota,
            periode,
            obj.name,
            obj.size,
            sha[:12],
            submission_id,
            " (new)" if is_new else "",
        )
        registered.append((submission_id, status, obj.name, sha, key))
    if not registered:
        return Found(kode_kabkota=kode_kabkota, action="missing")
    for submission_id, status, *_ in registered[:-1]:
        if status == "received":  # landed before a newer file and never processed
            set_status(dsn, submission_id, "superseded", reasons=[{"rule": "superseded_on_arrival"}])
    submission_id, status, name, sha, key = registered[-1]
    action = "process" if status in ("received", "staged", "superseded") else "unchanged"
    return Found(kode_kabkota, action, submission_id, name, sha, key, status)
