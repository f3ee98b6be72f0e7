"""Merge an accepted submission into the warehouse: one kab/kota-month replaced atomically.

The month's partition of ``core.distribution`` is made first if it is new (migration 0043), committed on its own
so the merge's long transaction never holds the parent's partition lock. Then everything happens in one
transaction under an advisory lock on (province, periode, kab/kota):
the rows go into ``core.distribution`` as a new batch (identifiers pseudonymised in SQL), then the
kab/kota-month's pointer moves to it. Readers see the old month or the new one, never a mix, and the
replaced batch stays in ``core`` as history. A submission that landed before the one already loaded
never replaces it, so two corrections racing each other end with the newest file loaded.

Before anything is written, in the same transaction, the merge checks what it merges: its run still
holds the submission's claim and the submission is ``staged`` (else another run owns the outcome: a
skip, nothing written), and the checked staging table holds exactly the rows stage recorded (else
:class:`~bansos.stage.stage.StagingLost`: the task fails and its retry re-stages from the archive). An
empty table left by a crash (staging is UNLOGGED) never becomes an empty batch.

An approved kab/kota-month is locked (issue 13, :mod:`bansos.approve`): in the same transaction, under the
approval's advisory lock taken shared (a decision takes it exclusive), the merge asks whether an approval
locks the month; if so the submission is answered ``held`` (its alert recorded with it) and nothing is
merged, so a correction and an approval never race: either the approval sees the merged batch, or the merge
sees the approval.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import psycopg2.errors

from bansos.domain.handoff import BranchState
from bansos.merge import keys
from bansos.stage import StagingLost, staged_rows
from bansos.warehouse import sqlfiles, submissions
from bansos.warehouse.database import connect

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MergeResult:
    action: BranchState  # loaded, unchanged, stale, held (month locked) or skipped (another run holds or decided it)
    batch_id: int | None
    rows: int
    replaced_batch_id: int | None = None
    alert_id: int | None = None  # held: the alert recorded with the answer, for the caller to deliver


def _check_staged(cur, submission_id: int, run_id: str, recorded: int | None) -> None:
    """Fail (and so roll back) unless the run's checked table holds exactly the rows stage recorded."""
    rows = staged_rows(cur, submission_id, run_id)
    if recorded is None or rows != recorded:
        raise StagingLost(
            f"submission {submission_id}: the staging table holds {'no table' if rows is None else rows} "
            f"rows where stage recorded {recorded}; staging lost (a crash empties UNLOGGED tables), "
            "the retry re-stages from the archive"
        )


def _hold(cur, submission_id: int, run_id: str, rows: int, approved_batch: int | None, where: dict) -> MergeResult:
    """Answer the submission "held: month locked" and record its alert, in the merge's transaction."""
    from bansos.alert import held_alert, record

    reason = {"rule": "month_locked", "severity": "warning", "approved_batch_id": approved_batch,
              "description": "held: month locked (the kab/kota-month is approved; unlock it to merge)"}
    submissions.set_status(None, submission_id, "held", reasons=[reason], run_id=run_id, cur=cur)
    alert_id = record(cur, held_alert(where["province"], where["periode"], where["kode_kabkota"], submission_id,
                                      approved_batch))
    log.warning("%s %s: submission %s held: month locked (approved batch %s stays loaded); unlock to merge it",
                where["kode_kabkota"], where["periode"], submission_id, approved_batch)
    return MergeResult(BranchState.HELD, approved_batch, rows, alert_id=alert_id)


def _run_on_own_connection(dsn: str, script: str) -> None:
    with connect(dsn) as conn, conn.cursor() as cur:
        sqlfiles.run_script(cur, script)


def _insert_batch(dsn: str, cur, checked, run_id: str, params: dict) -> tuple[int, int]:
    """Write the new batch in the merge's transaction (``cur``, the key's pads loaded); returns (batch, rows).

    The distributions go in by one statement, which PostgreSQL runs in one process; meanwhile a second
    connection finds, in one process too, the file's households and persons the warehouse does not know yet
    (``merge/new_keys.sql``, committed work tables, read-only on ``core``), so a large file's merge takes both
    cores. Only when the key rotated between stage and merge does all of it run here, in the same order, on the
    pseudonyms computed again (``merge/rehash_staged.sql``). A failure on either connection fails the merge,
    which then writes nothing; its retry makes the work tables again."""
    work = {k: sqlfiles.staging_table(params["submission_id"], k, run_id) for k in sqlfiles.MERGE_WORK_TABLES}

    def script(name: str) -> str:
        return sqlfiles.compose(name, checked=checked, **work).as_string(cur)

    sqlfiles.run_script(cur, script("merge/staged_key.sql"))
    (same,) = cur.fetchone()
    if same:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="merge-new-keys") as side:
            new_keys = side.submit(_run_on_own_connection, dsn, script("merge/new_keys.sql"))
            try:
                sqlfiles.run_script(cur, script("merge/insert_batch.sql"), params)
            finally:
                side_error = new_keys.exception()  # waits for the side connection, whatever happened here
        if side_error is not None:
            raise side_error
    else:
        log.warning("submission %s: staged under another key; pseudonyms computed again", params["submission_id"])
        sqlfiles.run_script(cur, script("merge/rehash_staged.sql"))
        sqlfiles.run_script(cur, script("merge/insert_batch.sql"), params)
        sqlfiles.run_script(cur, script("merge/new_keys.sql"))  # its SET LOCALs then hold for insert_keys only
    _insert_keys(cur, script, params)
    sqlfiles.run_script(cur, script("merge/source_totals.sql"), params)
    return cur.fetchone()


def _insert_keys(cur, script, params: dict) -> None:
    """Add the work tables' households and persons by plain inserts; after a race, again without the keys lost.

    A unique violation means a merge of another kab/kota added one of the keys since ``merge/new_keys.sql``
    looked: back to the savepoint, those keys left out (``merge/forget_known_keys.sql``), and the inserts run
    again. If none was left out the conflict is not a race and the merge fails with it."""
    while True:
        try:
            sqlfiles.run_script(cur, script("merge/insert_keys.sql"), params)
            return
        except psycopg2.errors.UniqueViolation:
            sqlfiles.run_script(cur, script("merge/forget_known_keys.sql"))
            (known,) = cur.fetchone()
            if not known:
                raise
            log.info("submission %s: %s of its new keys were added by another merge meanwhile; inserting the rest",
                     params["submission_id"], known)


def merge_submission(
    dsn: str, *, submission_id: int, province: str, periode: str, kode_kabkota: str, key: bytes, run_id: str
) -> MergeResult:
    """Replace the kab/kota-month with this submission in one transaction, as a new batch.

    ``unchanged`` when it is already the current one, ``skipped`` when another run holds its claim,
    ``stale`` when a later-landed file is loaded, ``held`` when an approval locks the month (``batch_id`` is
    then the approved batch, which stays); raises :class:`~bansos.stage.stage.StagingLost` when
    the checked table does not hold the rows stage recorded.
    """
    params = {
        "submission_id": submission_id,
        "province": province,
        "periode": periode,
        "kode_kabkota": kode_kabkota,
    }
    checked = sqlfiles.staging_table(submission_id, "checked", run_id)
    with connect(dsn) as conn, conn.cursor() as cur:  # the month's partition, committed before the merge begins
        cur.execute(sqlfiles.read("merge/ensure_partition.sql"), params)
    with connect(dsn) as conn, conn.cursor() as cur:
        sqlfiles.run_script(cur, sqlfiles.read("merge/current_version.sql"), params)
        new_landed, current_submission, current_landed, current_batch, existing_batch = cur.fetchone()
        if current_submission == submission_id:
            return MergeResult(BranchState.UNCHANGED, current_batch, 0)
        held, recorded = submissions.hold(cur, submission_id, run_id)
        if not held:
            return MergeResult(BranchState.SKIPPED, None, 0)
        _check_staged(cur, submission_id, run_id, recorded)
        if current_landed is not None and current_landed > new_landed:
            log.warning(
                "%s %s: submission %s landed before the loaded one (%s); kept as history only",
                kode_kabkota,
                periode,
                submission_id,
                current_submission,
            )
            submissions.set_status(dsn, submission_id, "superseded", run_id=run_id, cur=cur)
            return MergeResult(BranchState.STALE, None, 0)
        sqlfiles.run_script(cur, sqlfiles.read("merge/month_locked.sql"), params)
        locked, approved_batch = cur.fetchone()
        if locked:
            return _hold(cur, submission_id, run_id, recorded, approved_batch, params)
        if existing_batch is None:
            keys.use_key(cur, key)  # refuses another key; the pads as COPY data, never in a statement
            batch_id, rows = _insert_batch(dsn, cur, checked, run_id, params | {"rows": recorded})
        else:  # the same content was loaded before and has come back as the newest file
            batch_id = existing_batch
            cur.execute(sqlfiles.read("merge/batch_row_count.sql"), (batch_id,))
            rows = cur.fetchone()[0]
        sqlfiles.run_script(
            cur,
            sqlfiles.read("merge/switch_current.sql"),
            params
            | {
                "batch_id": batch_id,
                "previous_batch_id": current_batch,
                "previous_submission_id": current_submission,
            },
        )
    log.info(
        "%s %s: batch %s loaded (%s rows)%s",
        kode_kabkota,
        periode,
        batch_id,
        rows,
        f", replacing batch {current_batch}" if current_batch else "",
    )
    return MergeResult(BranchState.LOADED, batch_id, rows, current_batch)
