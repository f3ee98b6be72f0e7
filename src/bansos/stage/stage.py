"""Stage a received file into PostgreSQL with one COPY, then build the checked table the suite reads.

Memory stays flat whatever the file size: the archived object is streamed from the store straight
into ``COPY ... FROM STDIN`` (an XLSX workbook is first converted to a CSV spool, UTF-16 text
transcoded to a UTF-8 one). The format is decided from the file's first bytes
(:mod:`bansos.domain.formats`), never from its name alone; a format the pipeline does not read is
rejected before anything is loaded. PostgreSQL parses the CSV and converts Windows code pages; a
ragged row fails the COPY with its line number, which becomes the rejection reason.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass

import psycopg2
import psycopg2.errors
from psycopg2 import sql

from bansos.domain import formats
from bansos.domain.storage import Store
from bansos.stage import contract
from bansos.stage.contract import FileRejected
from bansos.warehouse import pseudonyms, sqlfiles
from bansos.warehouse.database import connect

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StageResult:
    rows: int
    layout: contract.FileLayout


def _copy_error_reason(exc: psycopg2.Error) -> FileRejected:
    context = (exc.diag.context or "") if exc.diag else ""
    line = re.search(r"line (\d+)", context)
    where = f"Baris {line.group(1)}: " if line else ""
    message = (exc.diag.message_primary or str(exc)).strip()
    if "extra data after last expected column" in message or "missing data for column" in message:
        return FileRejected(
            "ragged_rows",
            f"{where}jumlah kolom tidak sama dengan header (cek pemisah kolom dan tanda kutip).",
        )
    if "unterminated CSV quoted field" in message:
        return FileRejected("unterminated_quote", f'{where}tanda kutip (") tidak ditutup.')
    if "invalid byte sequence" in message or "character with byte sequence" in message:
        return FileRejected(
            "bad_encoding", f"{where}karakter tidak dapat dibaca; simpan file sebagai CSV UTF-8."
        )
    return FileRejected("unreadable_csv", f"{where}file tidak dapat dibaca sebagai CSV: {message}")


def stage_submission(
    dsn: str,
    store: Store,
    *,
    submission_id: int,
    archive_key: str,
    province: str,
    periode: str,
    kode_kabkota: str,
    run_id: str,
    key: bytes,
    verify_key: bool = True,
) -> StageResult:
    """COPY the archived file into ``staging.submission_<id>_<run>_raw`` and build ``..._checked``.

    The checked table carries each row's keyed hashes (``kk_hash``, ``nik_hash``, as the warehouse stores
    them), so the rules across months and registries compare by pseudonym and never read an identifier
    back. ``verify_key=False`` only for a key rotation, which re-stages with the new key.
    Raises FileRejected when the file cannot be read as the template.
    """
    raw = sqlfiles.staging_table(submission_id, "raw", run_id)
    checked = sqlfiles.staging_table(submission_id, "checked", run_id)
    found = sniff_archived(store, archive_key)
    if found.kind == formats.XLSX:
        with store.open(archive_key) as src:
            layout, stream = contract.xlsx_to_csv(src)
    elif found.kind == formats.UTF16:
        with store.open(archive_key) as src:
            layout, stream = contract.utf16_to_csv(src)
    else:
        with store.open(archive_key) as src:
            layout = _inspect_seekable(src)
        stream = store.open(archive_key)
    try:
        with connect(dsn) as conn, conn.cursor() as cur:
            extra = sql.Composed(
                sqlfiles.compose("stage/extra_column.sql", column=sql.Identifier(c))
                for c in layout.columns
                if c.startswith("extra_")
            )
            cur.execute(sqlfiles.compose("stage/create_raw.sql", raw=raw, extra_columns=extra))
            copy = sqlfiles.compose(
                "stage/copy_raw.sql",
                raw=raw,
                columns=sql.SQL(", ").join(sql.Identifier(c) for c in layout.columns),
                delimiter=sql.Literal(layout.delimiter),
                encoding=sql.Literal(layout.encoding),
            )
            try:
                cur.copy_expert(copy.as_string(cur), stream)
            except psycopg2.DataError as exc:
                raise _copy_error_reason(exc) from exc
            rows = cur.rowcount
            if rows <= 0:
                raise FileRejected("no_rows", "File tidak berisi baris data.")
            pseudonyms.hash_with(cur, key, verify=verify_key)
            where = {"province": province, "periode": periode, "kode_kabkota": kode_kabkota}
            constants = lookup_constants(cur, where)
            freshen_statistics(dsn, cur, sorted(set(constants["year_periods"]) | set(constants["all_periods"])))
            work = {k: sqlfiles.staging_table(submission_id, k, run_id) for k in sqlfiles.STAGE_WORK_TABLES}
            cur.execute(sqlfiles.compose("stage/build_ids.sql", raw=raw, ids=work["ids"]))
            cur.execute(
                sqlfiles.compose(
                    "stage/build_checked.sql",
                    checked=checked,
                    lookups=lookup_branches(cur, work["ids"], province),
                    **work,
                ),
                where | constants,
            )
            cur.execute(sqlfiles.compose("stage/drop_raw.sql", raw=raw))
    finally:
        stream.close()
    log.info(
        "staged submission %s: %s rows (%s, %s, delimiter %r)",
        submission_id,
        rows,
        layout.format,
        layout.encoding,
        layout.delimiter,
    )
    return StageResult(rows=rows, layout=layout)


def lookup_constants(cur, where: dict) -> dict:
    """The rules across months' lists of constants for ``stage/build_checked.sql``'s lookups.

    The batches compared with (``stage/other_batches.sql``), all of them and those of the file's calendar
    year, each list with its months, and the programmes limited over a lifetime
    (``stage/lifetime_programmes.sql``): the lookups name the months they read, so the planner reads only
    those months' partitions; every month is read for the lifetime programmes only, and not at all when
    the province has none.
    """
    cur.execute(sqlfiles.read("stage/other_batches.sql"), where)
    batches = cur.fetchall()
    cur.execute(sqlfiles.read("stage/lifetime_programmes.sql"), where)
    lifetime = [programme for (programme,) in cur.fetchall()]
    year = [(batch, periode) for batch, periode, in_year in batches if in_year]
    every = [(batch, periode) for batch, periode, _ in batches] if lifetime else []
    return {
        "year_batches": [batch for batch, _ in year],
        "year_periods": sorted({periode for _, periode in year}),
        "all_batches": [batch for batch, _ in every],
        "all_periods": sorted({periode for _, periode in every}),
        "lifetime_programmes": lifetime,
    }


def lookup_branches(cur, ids: sql.Identifier, province: str) -> sql.Composed:
    """The rules across months' lookups for ``stage/build_checked.sql``: for each programme of the file that the
    catalogue knows (``stage/file_programmes.sql``), one branch per key, household and NIK, read in the file's year
    (``stage/lookup_year.sql``) or, for a programme limited over a lifetime, in every month
    (``stage/lookup_lifetime.sql``); each ends in ``UNION ALL``, as the file's repeated keys come after them.

    Each branch names its programme as a constant, so the planner knows the covering index's entries under it are
    in key order and sorts the file's keys on the key alone: one sort on (programme, key) compared nearly every
    pair on both keys (docs/decisions.md, "The lookups one programme at a time"). Each returns only the keys the
    file's month takes over the programme's limits, which it names as constants: the checked table asks nothing
    else of the earlier months. A programme counted in persons has no household limit, so no household lookup.
    (docs/decisions.md, "The lookups return the keys over a limit only".)"""
    cur.execute(sqlfiles.compose("stage/file_programmes.sql", ids=ids), {"province": province})
    branches = []
    for programme, per_year, per_lifetime, counts_persons in cur.fetchall():
        keys = (("nik", "nik_hash"),) if counts_persons else (("kk", "kk_hash"), ("nik", "nik_hash"))
        limits = {"max_per_year": sql.Literal(per_year)}
        if per_lifetime is not None:
            limits["max_per_lifetime"] = sql.Literal(per_lifetime)
        for kind, key in keys:
            branches.append(sqlfiles.compose(
                "stage/lookup_year.sql" if per_lifetime is None else "stage/lookup_lifetime.sql",
                kind=sql.Literal(kind), key=sql.Identifier(key), programme=sql.Literal(programme), ids=ids, **limits))
    return sql.Composed(branches)


def freshen_statistics(dsn: str, cur, periods: list[str]) -> list[str]:
    """Analyse the months' partitions the lookups will read whose statistics are behind their rows
    (``stage/stale_partitions.sql``), each in a transaction of its own on a second connection, so the lookups
    are planned on what the months hold; returns the partitions analysed. Stages of several kab/kota that find
    one month stale at once analyse it once: each asks again under a lock of the month
    (``stage/lock_partition_analysis.sql``).

    Autovacuum analyses a month only at its next pass; a month read meanwhile, with most of its kab/kota merged
    since its last analysis, was planned as a few rows, and its lookups took tens of seconds for a small file.
    """
    cur.execute(sqlfiles.read("stage/stale_partitions.sql"), {"periods": periods})
    stale = cur.fetchall()
    took: list[tuple[str, float]] = []  # each month analysed, with its seconds
    if stale:
        with connect(dsn) as side, side.cursor() as analyse:
            for schema, table in stale:
                started = time.monotonic()
                # one stage at a time: a stage that found the month stale while another analysed it waits for
                # that one, then asks again, and finds it fresh (stage/lock_partition_analysis.sql)
                analyse.execute(sqlfiles.read("stage/lock_partition_analysis.sql"), {"partition": table})
                analyse.execute(sqlfiles.read("stage/stale_partitions.sql"), {"periods": periods})
                if (schema, table) in analyse.fetchall():
                    partition = sql.Identifier(schema, table)
                    analyse.execute(sqlfiles.compose("stage/analyze_partition.sql", partition=partition))
                    took.append((table, time.monotonic() - started))
                side.commit()  # the month's statistics and the lock, before the next month's
    if took:
        # the seconds too: what these analyses cost a large province is read from the task logs (issue 14)
        log.info("analysed %s before the rules across months", ", ".join(f"{t} ({s:.2f} s)" for t, s in took))
    return [table for table, _ in took]


def sniff_archived(store: Store, archive_key: str) -> formats.Sniffed:
    """What the archived file is, from its first bytes (its name a hint); FileRejected if not a format read."""
    with store.open(archive_key) as head_stream:
        head = head_stream.read(formats.HEAD_BYTES)
    found = formats.sniff(head, archive_key.rsplit("/", 1)[-1])
    if not found.readable:
        raise contract.unsupported_format(found)
    return found


def _inspect_seekable(src) -> contract.FileLayout:
    """``inspect_csv`` needs to seek; S3 bodies cannot, so spool them first (bounded by a temp file)."""
    if hasattr(src, "seekable") and src.seekable():
        return contract.inspect_csv(src)
    import tempfile

    with tempfile.TemporaryFile() as spool:
        for block in iter(lambda: src.read(1 << 20), b""):
            spool.write(block)
        spool.seek(0)
        return contract.inspect_csv(spool)


class StagingLost(RuntimeError):
    """The checked table does not hold the rows stage recorded (gone, or emptied by a crash: staging is
    UNLOGGED); a fault of the run, never a finding about the file. The step's retry re-stages from the archive."""


def staged_rows(cur, submission_id: int, run_id: str) -> int | None:
    """Rows in the run's checked table, None if it is gone (the caller's transaction is then aborted)."""
    checked = sqlfiles.staging_table(submission_id, "checked", run_id)
    try:
        cur.execute(sqlfiles.compose("stage/count_checked.sql", checked=checked))
    except psycopg2.errors.UndefinedTable:
        return None
    return cur.fetchone()[0]


def drop_staging(dsn: str, submission_id: int, run_id: str) -> None:
    """Remove one run's staging tables of a submission (identifiers must not outlive the branch)."""
    with connect(dsn) as conn, conn.cursor() as cur:
        for kind in ("raw", "checked"):
            table = sqlfiles.staging_table(submission_id, kind, run_id)
            cur.execute(sqlfiles.compose("stage/drop_staging_table.sql", table=table))


def _sweepable(table: str, submission_id: int | None, live_claim: str | None) -> bool:
    """A staging table no live claim uses: its submission decided or unknown, unclaimed, its claim older
    than the lease, or held by another run than the one that made the table."""
    if submission_id is None or live_claim is None:
        return True
    return not table.startswith(f"submission_{submission_id}_{sqlfiles.run_token(live_claim)}_")


def sweep_staging(dsn: str, lease_minutes: int) -> list[str]:
    """Drop staging tables left behind: by a branch killed without its failure callback, a run taken over,
    or a submission decided since. Returns the names dropped."""
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sqlfiles.read("stage/staging_tables.sql"), {"lease_minutes": lease_minutes})
        leftovers = [table for table, sid, _status, live in cur.fetchall() if _sweepable(table, sid, live)]
        for table in leftovers:
            cur.execute(sqlfiles.compose("stage/drop_staging_table.sql", table=sql.Identifier("staging", table)))
    if leftovers:
        log.warning("dropped %s staging table(s) left behind: %s", len(leftovers), ", ".join(leftovers))
    return leftovers
