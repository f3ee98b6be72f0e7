"""Load the province's exclusion registry: NIK no longer to be paid (died, moved away), with why and since when.

The province keeps the registry as files in ``reference/<province>/exclusions/`` of the data root (CSV,
UTF-8, columns ``nik``, ``alasan``, ``tanggal``, optional ``keterangan``; see the README). Each file is
versioned like a kab/kota's submission: archived byte for byte under its SHA-256, one row per distinct
content in ``raw.exclusion_file``, history never deleted. What is in force is the current content of
each file still in the folder: a new content is checked and loaded and the file's previous version is
superseded; a file removed from the folder is withdrawn; a content seen before comes back into force.

A version with one invalid line (a NIK not 16 digits, an ``alasan`` the province's config does not list,
a ``tanggal`` that is not a YYYY-MM-DD date) is rejected whole, with its reasons in Indonesian, kept in
the archive and alerted; the file's previous version stays in force, so a bad edit never empties the
registry.

Pseudonymised when loaded, never stored in clear: the archived file is COPYed into a temp table of one
transaction (``ON COMMIT DROP``), checked there, and inserted into ``core.exclusion`` as
``core.hmac_sha256(nik)`` under the warehouse's key, the key checked and its pads handed over as merge
does (:func:`bansos.warehouse.pseudonyms.use_key`: the first key used is recorded, another is refused). Neither the
NIK nor ``keterangan`` (free text that may hold a name) outlives that transaction; reasons, logs and
alerts name line numbers, never a NIK. A key rotation hashes the registry again from its archived
versions (:func:`rekey`).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from dataclasses import dataclass

import psycopg2
from psycopg2 import sql

from bansos.domain.config import load_province
from bansos.domain.layout import exclusions_archive_folder, exclusions_folder
from bansos.domain.outcome import RuleOutcome
from bansos.domain.privacy import mask_value
from bansos.domain.storage import ObjectInfo, Store
from bansos.warehouse import sqlfiles
from bansos.warehouse.database import connect

log = logging.getLogger(__name__)

COLUMNS = ("nik", "alasan", "tanggal", "keterangan")
REQUIRED = ("nik", "alasan", "tanggal")
SUFFIX = ".csv"
_HEADER_BYTES = 64 * 1024


class RegistryRejected(Exception):
    """A registry file version that cannot be taken as it is; ``reasons`` say why, in Indonesian."""

    def __init__(self, reasons: list[RuleOutcome], rows: int | None = None):
        self.reasons = reasons
        self.rows = rows
        super().__init__("; ".join(r.rule for r in reasons))


def _file_problem(rule: str, description: str) -> RegistryRejected:
    return RegistryRejected([RuleOutcome(rule=rule, severity="error", description=description, count=1)])


@dataclass(frozen=True)
class Layout:
    """The registry file's header: the load table's columns in file order, and the delimiter."""

    columns: tuple[str, ...]
    delimiter: str
    ignored: tuple[str, ...]  # columns beyond the format, loaded into the temp table only and never stored


def read_header(head: bytes) -> Layout:
    """The file's columns from its first line; a file that is not a CSV registry is rejected with why."""
    if not head.strip():
        raise _file_problem("exclusion_file_empty", "File registri kosong. (The registry file is empty.)")
    first = head.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        line = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _file_problem("exclusion_file_encoding", "Baris judul bukan teks UTF-8; simpan sebagai CSV UTF-8. "
                            "(The header is not UTF-8 text: save the file as CSV UTF-8.)") from None
    delimiter = ";" if line.count(";") > line.count(",") else ","
    names = [n.strip().lower() for n in next(csv.reader([line], delimiter=delimiter))]
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise _file_problem("exclusion_file_columns",
                            f"Kolom wajib tidak ada: {', '.join(missing)} (kolom file: {', '.join(names)[:200]}). "
                            "(Required columns missing: the registry needs nik, alasan, tanggal.)")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise _file_problem("exclusion_file_columns", f"Kolom ganda: {', '.join(repeated)}. (Duplicated columns.)")
    columns = tuple(n if n in COLUMNS else f"extra_{i}" for i, n in enumerate(names))
    return Layout(columns=columns, delimiter=delimiter, ignored=tuple(n for n in names if n not in COLUMNS))


def _copy_error(exc: psycopg2.DataError) -> RegistryRejected:
    """A file COPY could not parse (ragged line, bad encoding): its line number and the error, never the data."""
    where = re.search(r"line (\d+)", getattr(exc.diag, "context", None) or "")
    primary = (getattr(exc.diag, "message_primary", None) or str(exc)).splitlines()[0][:200]
    at = f" (baris {where.group(1)})" if where else ""
    return _file_problem("exclusion_file_unreadable",
                         mask_value(f"File registri tidak dapat dibaca sebagai CSV UTF-8{at}: {primary}. "
                                    "(The registry file cannot be read as CSV UTF-8.)"))


def _load_archived(cur, store: Store, archive_key: str) -> tuple[int, Layout]:
    """COPY the archived version into ``pg_temp.exclusion_load`` (the cursor's transaction); its line count."""
    with store.open(archive_key) as src:
        layout = read_header(src.read(_HEADER_BYTES))
    extra = sql.Composed(sqlfiles.compose("stage/extra_column.sql", column=sql.Identifier(c))
                         for c in layout.columns if c.startswith("extra_"))
    cur.execute(sqlfiles.compose("extract/exclusions/create_load.sql", extra_columns=extra))
    copy = sqlfiles.compose("extract/exclusions/copy_load.sql",
                            columns=sql.SQL(", ").join(sql.Identifier(c) for c in layout.columns),
                            delimiter=sql.Literal(layout.delimiter))
    with store.open(archive_key) as src:
        try:
            cur.copy_expert(copy.as_string(cur), src)
        except psycopg2.DataError as exc:
            raise _copy_error(exc) from exc
    return cur.rowcount, layout


def _lines(lines: list[int] | None) -> str:
    return ", ".join(str(n) for n in lines or [])


def check_lines(cur, reasons_allowed: tuple[str, ...]) -> tuple[int, list[RuleOutcome]]:
    """The loaded lines' defects, one reason per kind, with counts and line numbers (never a NIK)."""
    cur.execute(sqlfiles.read("extract/exclusions/check_load.sql"), {"alasan": list(reasons_allowed)})
    rows, nik_bad, nik_lines, alasan_bad, alasan_lines, alasan_values, tanggal_bad, tanggal_lines = cur.fetchone()
    found = []
    if rows == 0:
        found.append(RuleOutcome("exclusion_file_empty", "error", "File registri tidak berisi baris data. "
                                 "(The registry file holds no rows.)", count=1))
    if nik_bad:
        found.append(RuleOutcome("exclusion_nik_format", "error",
                                 f"NIK harus 16 angka; periksa baris {_lines(nik_lines)}. "
                                 "(NIK must be 16 digits.)", count=nik_bad,
                                 examples=tuple({"source_line": n} for n in nik_lines)))
    if alasan_bad:
        shown = ", ".join(repr(v) for v in alasan_values or [])
        found.append(RuleOutcome("exclusion_alasan_unknown", "error",
                                 f"Alasan tidak dikenal ({mask_value(shown)}) di baris {_lines(alasan_lines)}; "
                                 f"gunakan salah satu: {', '.join(reasons_allowed)}. "
                                 "(Unknown alasan: use one the province's configuration lists.)", count=alasan_bad,
                                 examples=tuple({"source_line": n} for n in alasan_lines)))
    if tanggal_bad:
        found.append(RuleOutcome("exclusion_tanggal_format", "error",
                                 f"Tanggal harus berbentuk YYYY-MM-DD dan tanggal yang ada; periksa baris "
                                 f"{_lines(tanggal_lines)}. (tanggal must be a real YYYY-MM-DD date.)",
                                 count=tanggal_bad, examples=tuple({"source_line": n} for n in tanggal_lines)))
    return rows, found


@dataclass(frozen=True)
class Version:
    file_id: int
    status: str
    is_new: bool
    source_uri: str
    name: str
    sha256: str
    archive_key: str


def _register(dsn: str, store: Store, province: str, obj: ObjectInfo, sha: str, key: str) -> Version:
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sqlfiles.read("extract/exclusions/register_file.sql"),
                    {"province": province, "source_uri": store.uri(obj.key), "source_version": obj.version,
                     "sha256": sha, "archive_key": key, "size_bytes": obj.size,
                     "landed_at": obj.modified if store.server_times else None})
        file_id, status, is_new = cur.fetchone()
    return Version(file_id, status, is_new, store.uri(obj.key), obj.name, sha, key)


def _put_in_force(cur, province: str, version: Version, rows: int | None) -> None:
    sqlfiles.run_script(cur, sqlfiles.read("extract/exclusions/put_in_force.sql"),
                        {"province": province, "source_uri": version.source_uri, "file_id": version.file_id,
                         "rows": rows})


def _load(dsn: str, store: Store, province: str, version: Version, key: bytes) -> int | None:
    """Check and pseudonymise one new version in one transaction, and put it in force; its row count, or
    None when another run decided the version meanwhile (a backfill starts several runs at once).

    Raises :class:`RegistryRejected` (nothing written: the transaction is rolled back) for an invalid file.
    """
    from bansos.warehouse.pseudonyms import use_key

    allowed = load_province(province).exclusion_reasons
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sqlfiles.read("extract/exclusions/lock.sql"), {"province": province})
        cur.execute(sqlfiles.read("extract/exclusions/version_status.sql"), {"file_id": version.file_id})
        if cur.fetchone()[0] != "received":
            return None
        if version.name.lower().endswith(SUFFIX):
            _, layout = _load_archived(cur, store, version.archive_key)
        else:
            raise _file_problem("exclusion_file_format",
                                f"File {version.name} bukan CSV; simpan registri sebagai CSV UTF-8 (.csv). "
                                "(Not a CSV file: save the registry as CSV UTF-8.)")
        if layout.ignored:
            log.info("exclusion registry %s: columns %s are not part of the format and are not stored",
                     version.name, ", ".join(layout.ignored))
        rows, problems = check_lines(cur, allowed)
        if problems:
            raise RegistryRejected(problems, rows)
        use_key(cur, key)
        cur.execute(sqlfiles.read("extract/exclusions/insert_exclusions.sql"), {"file_id": version.file_id})
        _put_in_force(cur, province, version, rows)
    return rows


def _reject(dsn: str, store: Store, province: str, version: Version, rejected: RegistryRejected) -> None:
    """Record the rejection and its alert in one transaction, then send the alert."""
    from bansos.alert import Alert, deliver, names, record

    reasons = [r.to_dict() for r in rejected.reasons]
    province_name, _ = names(province, None)
    alert = Alert(
        kind="rejected", severity="error", province=province, province_name=province_name, periode=None,
        summary=(f"File registri pengecualian {version.name} ditolak; versi sebelumnya tetap berlaku. "
                 f"(Exclusion registry file {version.name} rejected; the version loaded before stays in force.)"),
        rules=reasons, links={"Arsip (archive)": store.uri(version.archive_key)},
        details=[f"File: {version.source_uri}", f"SHA-256: {version.sha256}"],
        dedup_key=f"exclusion_rejected:{version.file_id}",
    )
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sqlfiles.read("extract/exclusions/reject_file.sql"),
                    {"file_id": version.file_id, "reasons": json.dumps(reasons, ensure_ascii=False),
                     "rows": rejected.rows})
        if cur.fetchone() is None:
            return  # decided meanwhile by another run
        alert_id = record(cur, alert)
    deliver(dsn, alert_id)


def load_registry(dsn: str, store: Store, province: str, key: bytes, settle: float | None = None) -> dict:
    """Bring the registry in force up to the folder's files; counts of what happened (no identifiers)."""
    from bansos.extract.extract import archive_settled, settle_seconds

    settle = settle_seconds() if settle is None else settle
    listing = store.listdir(exclusions_folder(province))
    for entry, why in [(f, "subfolder") for f in listing.folders] + list(listing.refused):
        log.warning("exclusion registry: %s not taken (%s)", store.uri(entry), why)
    counts = {"files": 0, "loaded": 0, "unchanged": 0, "reinstated": 0, "rejected": 0, "withdrawn": 0}
    present: list[str] = []
    into = exclusions_archive_folder(province)
    for listed in sorted(listing.files, key=lambda o: o.key):
        archived = archive_settled(store, listed, into, settle)
        if archived is None:
            continue
        version = _register(dsn, store, province, *archived)
        present.append(version.source_uri)
        counts["files"] += 1
        if version.status == "received":
            try:
                rows = _load(dsn, store, province, version, key)
            except RegistryRejected as rejected:
                log.error("exclusion registry %s (sha256 %s…) rejected: %s", version.name, version.sha256[:12],
                          rejected)
                _reject(dsn, store, province, version, rejected)
                counts["rejected"] += 1
                continue
            if rows is None:
                counts["unchanged"] += 1
                continue
            log.info("exclusion registry %s (sha256 %s…): %s lines loaded", version.name, version.sha256[:12], rows)
            counts["loaded"] += 1
        elif version.status in ("superseded", "withdrawn"):  # a content seen before is the file's again
            with connect(dsn) as conn, conn.cursor() as cur:
                cur.execute(sqlfiles.read("extract/exclusions/lock.sql"), {"province": province})
                _put_in_force(cur, province, version, None)
            log.info("exclusion registry %s: earlier version %s in force again", version.name, version.file_id)
            counts["reinstated"] += 1
        else:
            counts["unchanged"] += 1
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sqlfiles.read("extract/exclusions/lock.sql"), {"province": province})
        cur.execute(sqlfiles.read("extract/exclusions/withdraw_absent.sql"), {"province": province, "present": present})
        withdrawn = [uri for (uri,) in cur.fetchall()]
        cur.execute(sqlfiles.read("extract/exclusions/in_force.sql"), {"province": province})
        in_force = dict(cur.fetchall())
    for uri in withdrawn:
        log.warning("exclusion registry %s is no longer in %s: withdrawn (its rows stay as history)", uri,
                    store.uri(exclusions_folder(province)))
    counts["withdrawn"] = len(withdrawn)
    counts["in_force"] = in_force
    return counts


def rekey(cur, store: Store) -> int:
    """In a key rotation's transaction (its new pads loaded): hash every stored registry version again from
    its archived file; returns the rows re-pseudonymised. A version whose lines no longer match is an error."""
    cur.execute(sqlfiles.read("extract/exclusions/rekey_files.sql"))
    total = 0
    for file_id, archive_key, row_count in cur.fetchall():
        _load_archived(cur, store, archive_key)
        cur.execute(sqlfiles.read("extract/exclusions/rekey_file.sql"), {"file_id": file_id})
        if cur.rowcount != row_count:
            raise RuntimeError(f"exclusion registry version {file_id}: {cur.rowcount} of {row_count} rows "
                               f"found again in {archive_key}")
        total += cur.rowcount
    return total


def registry_csv(lines: list[tuple[str, str, str]], keterangan: bool = True) -> bytes:
    """A registry file's bytes from (nik, alasan, tanggal) lines: for tests and the demo."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS if keterangan else REQUIRED)
    for nik, alasan, tanggal in lines:
        writer.writerow((nik, alasan, tanggal, "") if keterangan else (nik, alasan, tanggal))
    return out.getvalue().encode("utf-8")
