"""Find a kab/kota's extract for a month in the landing area, archive it byte for byte, register it.

The landing folder ``landing/<province>/<YYYY-MM>/<kab/kota>/`` is the authority for who sent what
for which month. Every file found directly in it, whatever its name, is archived under its SHA-256 (so
the same bytes landed twice are one submission) and recorded in ``raw.submission``: every file the
office sends is answered, none is passed over and reported missing. The landing file itself is never
changed.

Which file is the month's: the newest one in a format the pipeline reads, decided from its first bytes
(:func:`bansos.domain.formats.sniff`; CSV or tab-separated text, UTF-16 "Unicode Text", XLSX); older
ones are kept as superseded. A file in a format it does not read (an old ``.xls``, a PDF, a photo, a
``.txt`` of binary data) never takes the month's place and never supersedes a readable one, so a
cover letter sent beside the extract costs nothing: it is handed on in ``unread`` and the stage
rejects it, quarantined and alerted with what to send instead. When no readable file is new, the
newest unread one is the month's submission, so the branch goes on to reject it. A correction held
because its month was approved (locked, :mod:`bansos.approve`) is found again: ``held`` while the month
stays locked, processed once it is unlocked.

What an operating system or an editor leaves in a folder (``Thumbs.db``, ``desktop.ini``, Office's
``~$`` lock files; names starting with ``.`` the store does not list at all) is no submission
attempt: it is logged and recorded once in ``raw.landing_refusal``, never archived, never alerted,
and a folder holding only that is still missing.

Only what the folder itself holds is taken: a subfolder (``21.71/x/y.csv``) or a symbolic link is
refused with its reason, logged, recorded once in ``raw.landing_refusal`` and alerted once to the
kab/kota, so an office that may write under its own folder cannot pass a file off as another's.

A local file is taken once nothing about it has changed for ``BANSOS_LANDING_SETTLE_SECONDS``
(default 60): a copy over SMB or SFTP or a slow ``cp`` is still growing, and the extract waits for it
(at most three settle times and five seconds; then the task fails and retries). The file is read
once, hashed while copied to the archive, and a copy of a file that changed meanwhile is dropped.

Which file is newest: on S3, the order the server received the uploads (LastModified); in a local
folder, the order the pipeline first saw them (``raw.landing_observation``, by the warehouse's
clock). A file's own modification time, which ``rsync -t`` or WinSCP copy from the office's PC,
never puts it before a version already seen, so a correction sent with an old time replaces the file
it corrects; it may only place a file's landing earlier than its first sight (a backfill of files that
landed long before the pipeline ran), never later.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from bansos.domain import formats
from bansos.domain.handoff import BranchState
from bansos.domain.layout import archive_folder, landing_folder
from bansos.domain.outcome import RuleOutcome
from bansos.domain.storage import Listing, ObjectInfo, Store
from bansos.warehouse import sqlfiles
from bansos.warehouse.database import connect
from bansos.warehouse.submissions import set_status

log = logging.getLogger(__name__)

# What an operating system or an editor leaves in a folder: no submission attempt, never alerted.
LITTER = {
    "thumbs.db": "Windows thumbnail cache",
    "ehthumbs.db": "Windows thumbnail cache",
    "desktop.ini": "Windows folder settings",
    ".ds_store": "macOS folder settings",
}
SETTLE_ENV = "BANSOS_LANDING_SETTLE_SECONDS"
DEFAULT_SETTLE_SECONDS = 60.0


class LandingNotSettled(OSError):
    """A landing file kept changing for longer than the extract waits: a fault, so the task retries."""


@dataclass(frozen=True)
class ExtractResult:
    """The kab/kota-month's newest submission and where its copy is archived (the task hands on its id only)."""

    kode_kabkota: str
    action: BranchState  # process, unchanged, missing, or held (a held correction whose month is still locked)
    submission_id: int | None = None
    file_name: str | None = None
    sha256: str | None = None
    archive_key: str | None = None
    status: str | None = None
    unread: tuple[int, ...] = ()  # other new submissions in a format the pipeline does not read: to reject


def settle_seconds() -> float:
    """How long a local file must be unchanged before it is taken (``BANSOS_LANDING_SETTLE_SECONDS``)."""
    return float(os.environ.get(SETTLE_ENV, DEFAULT_SETTLE_SECONDS))


def unsettled_for(obj: ObjectInfo, settle: float, now: datetime | None = None) -> float:
    """Seconds until ``obj`` has been unchanged for ``settle`` seconds; 0 if it has (always, on S3)."""
    if obj.changed is None:
        return 0.0
    age = ((now or datetime.now(UTC)) - obj.changed).total_seconds()
    return max(0.0, settle - age)


def litter(name: str) -> str | None:
    """Why a file is operating-system or editor litter rather than a submission attempt; None if it is not."""
    what = LITTER.get(name.lower())
    if what is None and name.startswith("~"):
        what = "an Office lock or temporary file (~$name, ~WRL...)"
    return None if what is None else f"{what}, not an extract; recorded, not alerted"


def _candidates(listing: Listing) -> list[ObjectInfo]:
    return [o for o in listing.files if litter(o.name) is None]


def list_candidates(store: Store, province: str, periode: str, kode_kabkota: str) -> list[ObjectInfo]:
    """Every file directly in the kab/kota's landing folder but litter, by key (settled or not), whatever
    its name: each is a submission the pipeline answers."""
    return _candidates(store.listdir(landing_folder(province, periode, kode_kabkota)))


def refusals(listing: Listing) -> list[tuple[str, str]]:
    """What the folder holds that is never taken, with why: subfolders, symbolic links and litter."""
    deeper = "folder inside the kab/kota folder; only files directly in <province>/<YYYY-MM>/<kab/kota>/ are taken"
    litters = [(o.key, reason) for o in listing.files if (reason := litter(o.name))]
    return [(key, deeper) for key in listing.folders] + list(listing.refused) + litters


def _refusal_alert(store: Store, province: str, periode: str, kode_kabkota: str, key: str, reason: str):
    from bansos.alert import Alert, names

    province_name, kabkota_name = names(province, kode_kabkota)
    summary = (f"Isi folder landing tidak diambil: {key.rstrip('/').rsplit('/', 1)[-1]} "
               f"(not taken from the landing folder: {reason}). Letakkan file langsung di folder kab/kota "
               "(put the file directly in the kab/kota folder).")
    rule = RuleOutcome(rule="landing_path", severity="error", description=reason)
    return Alert(kind="rejected", severity="error", province=province, province_name=province_name,
                 periode=periode, kode_kabkota=kode_kabkota, kabkota_name=kabkota_name, summary=summary,
                 rules=[rule.to_dict()], details=[f"Path: {store.uri(key)}"])


def report_refusals(dsn: str, store: Store, listing: Listing, *, province: str, periode: str,
                    kode_kabkota: str) -> list[tuple[str, str]]:
    """Log every refused entry; record each in ``raw.landing_refusal`` and alert it the first time only.

    Litter (:func:`litter`) is logged and recorded, never alerted: nobody at the office sent it.
    """
    from bansos.alert import send_alert

    refused = refusals(listing)
    for key, reason in refused:
        alerted = reason != litter(key.rsplit("/", 1)[-1])
        log.log(logging.WARNING if alerted else logging.INFO, "%s %s: %s not taken: %s", kode_kabkota, periode,
                store.uri(key), reason)
        with connect(dsn) as conn, conn.cursor() as cur:
            cur.execute(sqlfiles.read("extract/record_refusal.sql"),
                        {"province": province, "periode": periode, "kode_kabkota": kode_kabkota,
                         "source_uri": store.uri(key), "reason": reason})
            first_time = cur.fetchone() is not None
        if first_time and alerted:
            send_alert(_refusal_alert(store, province, periode, kode_kabkota, key, reason))
    return refused


def archive_settled(store: Store, listed: ObjectInfo, folder: str, settle: float):
    """Wait until the file is settled, then archive it under its hash: ``(obj, sha256, key)``, or None if withdrawn.

    The wait is bounded (three settle times and five seconds): a file that keeps changing for longer
    raises :class:`LandingNotSettled`, so the task fails and Airflow retries it later.
    """
    give_up = time.monotonic() + 3 * settle + 5
    while True:
        try:
            obj = store.stat(listed.key)  # pins the version that is hashed, archived and recorded
        except FileNotFoundError:
            log.warning("%s was withdrawn while it was being read; skipped", store.uri(listed.key))
            return None
        wait = unsettled_for(obj, settle)
        if wait == 0:
            try:
                archived = store.hash_copy(obj, folder)
            except FileNotFoundError:
                continue
            if archived is not None:
                return obj, *archived
            log.warning("%s changed while it was archived; the copy is dropped", store.uri(obj.key))
        if time.monotonic() + wait > give_up:
            raise LandingNotSettled(f"{store.uri(obj.key)} is still changing after {3 * settle + 5:.0f} s; "
                                    "it is taken once it has been unchanged for "
                                    f"{settle:.0f} s ({SETTLE_ENV})")
        log.info("%s changed %.1f s ago; waiting %.1f s for it to settle", store.uri(obj.key),
                 settle - wait, wait)
        time.sleep(wait or 0.2)


def landed_at(dsn: str, store: Store, obj: ObjectInfo, *, province: str, periode: str, kode_kabkota: str):
    """When the file landed, for the order of versions: S3's LastModified, or the first sight of a local file."""
    if store.server_times:
        return obj.modified
    with connect(dsn) as conn, conn.cursor() as cur:
        sqlfiles.run_script(cur, sqlfiles.read("extract/observe_landing.sql"),
                            {"province": province, "periode": periode, "kode_kabkota": kode_kabkota,
                             "source_uri": store.uri(obj.key), "fingerprint": f"{obj.size}:{obj.modified.isoformat()}",
                             "modified_at": obj.modified})
        return cur.fetchone()[0]


@dataclass(frozen=True)
class _Registered:
    submission_id: int
    status: str
    name: str
    sha256: str
    archive_key: str
    readable: bool


def readable(store: Store, archive_key: str) -> bool:
    """Whether the archived file is in a format the pipeline reads, from its first bytes (its name a hint)."""
    with store.open(archive_key) as head:
        return formats.sniff(head.read(formats.HEAD_BYTES), archive_key.rsplit("/", 1)[-1]).readable


def _register(dsn: str, store: Store, when, obj: ObjectInfo, sha: str, key: str, where: dict) -> _Registered:
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            sqlfiles.read("extract/register_submission.sql"),
            where | {
                "source_uri": store.uri(obj.key),
                "source_version": obj.version,
                "landed_at": when,
                "size_bytes": obj.size,
                "sha256": sha,
                "archive_key": key,
            },
        )
        submission_id, status, is_new = cur.fetchone()
    log.info("%s %s: %s (%s bytes, sha256 %s…) -> submission %s%s", where["kode_kabkota"], where["periode"],
             obj.name, obj.size, sha[:12], submission_id, " (new)" if is_new else "")
    return _Registered(submission_id, status, obj.name, sha, key, readable(store, key))


def _result(kode_kabkota: str, action: BranchState, month: _Registered, unread: list[_Registered] = ()):
    return ExtractResult(kode_kabkota, action, month.submission_id, month.name, month.sha256, month.archive_key,
                         month.status, tuple(r.submission_id for r in unread))


def find_and_archive(dsn: str, store: Store, *, province: str, periode: str, kode_kabkota: str) -> ExtractResult:
    """Archive and register every settled file in the kab/kota's landing folder; the newest readable one is the
    month's, and the new files in a format the pipeline does not read are handed on to be rejected.

    Refused entries (subfolders, links, litter) are recorded (and, but litter, alerted) once;
    ``ExtractResult.action`` is ``missing`` when the folder holds no file, so the branch skips and the
    report names the kab/kota.
    """
    folder = landing_folder(province, periode, kode_kabkota)
    listing = store.listdir(folder)
    report_refusals(dsn, store, listing, province=province, periode=periode, kode_kabkota=kode_kabkota)
    candidates = _candidates(listing)
    if not candidates:
        log.warning("no extract for %s %s in %s", kode_kabkota, periode, store.uri(folder))
        return ExtractResult(kode_kabkota=kode_kabkota, action=BranchState.MISSING)
    settle = settle_seconds()
    into = archive_folder(province, periode, kode_kabkota)
    archived = [a for listed in candidates if (a := archive_settled(store, listed, into, settle))]
    # files first seen together are seen in the order they were placed (ctime), then by name
    archived.sort(key=lambda a: (a[0].changed or a[0].modified, a[0].key))
    where = {"province": province, "periode": periode, "kode_kabkota": kode_kabkota}
    landed = sorted(((landed_at(dsn, store, obj, **where), obj, sha, key) for obj, sha, key in archived),
                    key=lambda t: (t[0], t[1].key))
    registered = [_register(dsn, store, when, obj, sha, key, where) for when, obj, sha, key in landed]
    if not registered:
        return ExtractResult(kode_kabkota=kode_kabkota, action=BranchState.MISSING)
    read = [r for r in registered if r.readable]
    unread = [r for r in registered if not r.readable and r.status == "received"]
    for r in unread:
        log.warning("%s %s: %s is in a format the pipeline does not read; it is rejected", kode_kabkota, periode,
                    r.name)
    for r in read[:-1]:
        if r.status in ("received", "held"):  # landed before a newer file and never processed (or merged)
            set_status(dsn, r.submission_id, "superseded", reasons=[{"rule": "superseded_on_arrival"}])
    month = read[-1] if read else None
    if month is not None and month.status == "held":  # a correction for a locked month: processed once unlocked
        from bansos.approve import is_locked

        if is_locked(dsn, province, periode, kode_kabkota):
            log.info("%s %s: submission %s is held: month locked; it is merged after an unlock", kode_kabkota,
                     periode, month.submission_id)
            return _result(kode_kabkota, BranchState.HELD, month, unread)
        return _result(kode_kabkota, BranchState.PROCESS, month, unread)
    if month is not None and month.status in ("received", "staged", "superseded"):
        return _result(kode_kabkota, BranchState.PROCESS, month, unread)
    if unread:  # nothing readable to process: the newest unread file is the month's, the branch rejects it
        return _result(kode_kabkota, BranchState.PROCESS, unread[-1], unread[:-1])
    return _result(kode_kabkota, BranchState.UNCHANGED, month or registered[-1])
