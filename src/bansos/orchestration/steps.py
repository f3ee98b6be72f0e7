"""The monthly pipeline's steps, callable without Airflow: each Airflow task calls one or more of them.

The branch's ``extract`` task runs :func:`extract` then :func:`stage` (after its wait, see
:mod:`bansos.orchestration.waiting`); ``validate`` and ``merge`` run one step each.

The branch's steps work on the typed hand-offs of :mod:`bansos.domain.handoff` (:func:`find`,
:func:`stage_found`, :func:`validate_staged`, :func:`merge_validated`); :func:`extract`, :func:`stage`,
:func:`validate` and :func:`merge` are the same steps at the task boundary, taking and returning the
hand-off's XCom JSON (codes, submission ids, counts; never a path or data), so the same DAG runs on
Local, Celery or Kubernetes executors. Settings come from :mod:`bansos.warehouse.runtime`.
"""

from __future__ import annotations

import logging

from bansos.alert import (
    deliver,
    integrity_alert,
    missing_alert,
    notify,
    record,
    rejected_alert,
    retry_pending,
    warned_alert,
)
from bansos.domain.config import load_province
from bansos.domain.handoff import (
    BranchState,
    Found,
    Handoff,
    Held,
    Merged,
    Rejected,
    Skipped,
    Staged,
    Validated,
    from_xcom,
    to_xcom,
)
from bansos.domain.layout import correction_lists_folder, landing_folder, quarantine_folder
from bansos.domain.outcome import RuleOutcome
from bansos.extract import extract as extract_mod
from bansos.extract.quarantine import quarantine_submission
from bansos.merge import merge as merge_mod
from bansos.publish import yearly as publish_mod
from bansos.stage import stage as stage_mod
from bansos.stage.contract import FileRejected
from bansos.validate import correction_files, correction_list, history
from bansos.validate import validate as validate_mod
from bansos.warehouse import database as warehouse
from bansos.warehouse import reference, runtime, submissions

log = logging.getLogger(__name__)


def prepare_warehouse(province: str) -> dict:
    """Apply pending migrations, (re)apply the roles' grants, refresh reference data and province settings.

    One at a time: a backfill starts several monthly runs together, and one run's GRANTs on the
    ``ref`` tables while another loads them failed with "tuple concurrently updated".
    """
    from bansos.warehouse import roles, server

    dsn = runtime.warehouse_dsn()
    with warehouse.exclusive(dsn, "bansos:prepare_warehouse") as cur:
        applied = warehouse.migrate(dsn)
        role_setup = roles.ensure_roles(dsn)
        loaded = reference.sync(dsn, load_province(province))
        below = server.settings_below(cur)
    swept = stage_mod.sweep_staging(dsn, submissions.lease_minutes())
    for name, current, recommended in below:
        log.warning("the warehouse server's %s is %s, below the %s of include/config/postgresql/warehouse.conf: "
                    "large months load slower (README, 'Running against a real PostgreSQL and S3')",
                    name, current, recommended)
    log.info("warehouse ready: migrations applied %s, roles %s, reference %s", applied or "none", role_setup, loaded)
    return {"migrations": applied, "roles": role_setup, "reference": loaded, "staging_swept": swept,
            "settings_below": [name for name, _, _ in below]}


def load_exclusions(province: str) -> dict:
    """Bring the province's exclusion registry in force up to its folder (:mod:`bansos.extract.exclusions`).

    Before the kab/kota branches, so every month validated in the run is judged against the registry as
    the province keeps it now. Returns counts (files, loaded, unchanged, reinstated, rejected, withdrawn,
    NIK in force by alasan); a rejected registry file is alerted and the version before it stays in force.
    """
    from bansos.extract import exclusions

    counts = exclusions.load_registry(runtime.warehouse_dsn(), runtime.store(), province, runtime.pseudonym_key())
    log.info("exclusion registry of %s: %s", province, counts)
    return counts


def _branch(handoff: Handoff) -> dict:
    return {"province": handoff.province, "periode": handoff.periode, "kode_kabkota": handoff.kode_kabkota}


def extract(province: str, periode: str, kode_kabkota: str) -> dict:
    """:func:`find`, at the task boundary: the hand-off as its XCom JSON."""
    return to_xcom(find(province, periode, kode_kabkota))


def stage(found: dict, run_id: str) -> dict:
    """:func:`stage_found`, at the task boundary: XCom JSON in and out."""
    return to_xcom(stage_found(from_xcom(found), run_id))


def validate(staged: dict, run_id: str) -> dict:
    """:func:`validate_staged`, at the task boundary: XCom JSON in and out."""
    return to_xcom(validate_staged(from_xcom(staged), run_id))


def merge(validated: dict, run_id: str) -> dict:
    """:func:`merge_validated`, at the task boundary: XCom JSON in and out."""
    return to_xcom(merge_validated(from_xcom(validated), run_id))


def find(province: str, periode: str, kode_kabkota: str, waited: str | None = None) -> Found:
    """Find the kab/kota-month's newest file, archive and register it (:mod:`bansos.extract`)."""
    result = extract_mod.find_and_archive(
        runtime.warehouse_dsn(),
        runtime.store(),
        province=province,
        periode=periode,
        kode_kabkota=kode_kabkota,
    )
    return Found(province=province, periode=periode, kode_kabkota=kode_kabkota, state=result.action,
                 submission_id=result.submission_id, waited=waited, unread=result.unread)


def _file(dsn: str, handoff: Found) -> dict:
    """What the ledger knows of the hand-off's file (name, checksum, archive key), for quarantine and alert."""
    submission = submissions.get(dsn, handoff.submission_id)
    return _branch(handoff) | {
        "submission_id": submission.submission_id,
        "file_name": submission.file_name,
        "sha256": submission.sha256,
        "archive_key": submission.archive_key,
        "rows": handoff.rows if isinstance(handoff, Staged) else None,
    }


def _correction_links(store, ref: dict, listing: correction_list.CorrectionList, rejected: bool,
                      data_docs: str | None) -> dict[str, str | None]:
    """Write the file's correction list (beside its quarantine copy, or under ``correction_lists/`` for an
    accepted file); the alert's links to it and to the Data Docs."""
    folder = (quarantine_folder if rejected else correction_lists_folder)(
        ref["province"], ref["periode"], ref["kode_kabkota"])
    about = correction_files.About.of(ref, rejected=rejected)
    keys = correction_files.publish(store, folder, ref["sha256"], listing, about)
    log.info("%s %s: correction list of submission %s (%s rows of %s) at %s", ref["kode_kabkota"], ref["periode"],
             ref["submission_id"], len(listing.rows), listing.total_rows, keys[".xlsx"])
    return {"Data Docs": data_docs, "Daftar koreksi": store.uri(keys[".xlsx"]),
            "Daftar koreksi (CSV)": store.uri(keys[".csv"])}


def _correction_cap(province: str) -> int:
    return load_province(province).correction_max_rows


def _reject(dsn: str, handoff: Found, reasons: list[RuleOutcome], run_id: str, results: list = (),
            data_docs: str | None = None, listing: correction_list.CorrectionList | None = None) -> Rejected | Skipped:
    """Quarantine the file with its reasons and correction list, record the decision and its alert, tell the
    people on duty.

    Only while ``run_id`` holds the claim: the row stays locked from that check to the commit of the
    status, the rule results and the alert, so a file another run has decided meanwhile is never
    quarantined, and a submission is never rejected without its alert pending (keyed by the submission,
    so a retry records it once); a channel that is down gets it later. ``listing``: the correction list
    validate drew from the checked table; without one (a file rejected while staging), the list of the
    file-level reasons.
    """
    store = runtime.store()
    ref = _file(dsn, handoff)
    if listing is None:
        listing = correction_list.collect(dsn, handoff.submission_id, run_id, reasons,
                                          cap=_correction_cap(handoff.province), staged=False)
    with warehouse.connect(dsn) as conn, conn.cursor() as cur:
        held, _ = submissions.hold(cur, handoff.submission_id, run_id)
        if not held:
            return _skip(dsn, handoff, run_id)
        key = quarantine_submission(store, ref, reasons)
        links = _correction_links(store, ref, listing, True, data_docs) | {"Quarantine": store.uri(key)}
        alert_id = record(cur, rejected_alert(ref | {"quarantine_key": key}, reasons, links=links))
        submissions.set_status(dsn, handoff.submission_id, "rejected", reasons=[r.to_dict() for r in reasons],
                               quarantine_key=key, run_id=run_id, cur=cur)
        validate_mod.record(cur, handoff.submission_id, run_id, results)
    stage_mod.drop_staging(dsn, handoff.submission_id, run_id)
    rules = "; ".join(r.rule for r in reasons)
    log.error("%s %s rejected: %s (quarantined at %s)", handoff.kode_kabkota, handoff.periode, rules, key)
    sent = deliver(dsn, alert_id)
    return Rejected(**_branch(handoff), submission_id=handoff.submission_id, reasons=tuple(reasons),
                    rows=ref["rows"], alerted=sent)


def _skip(dsn: str, handoff: Found, run_id: str) -> Skipped:
    """End the branch without writing: another run holds the submission, or it is decided already.

    The run's own staging tables (if it made any) go: the other run has its own.
    """
    why = submissions.why_not_held(dsn, handoff.submission_id, run_id)
    log.warning("%s %s: submission %s %s; this run (%s) leaves it", handoff.kode_kabkota, handoff.periode,
                handoff.submission_id, why, run_id)
    stage_mod.drop_staging(dsn, handoff.submission_id, run_id)
    return Skipped(**_branch(handoff), submission_id=handoff.submission_id, reason=why)


def _stage_from_archive(dsn: str, handoff: Found, run_id: str) -> stage_mod.StageResult:
    return stage_mod.stage_submission(
        dsn,
        runtime.store(),
        submission_id=handoff.submission_id,
        archive_key=submissions.get(dsn, handoff.submission_id).archive_key,
        run_id=run_id,
        key=runtime.pseudonym_key(),
        **_branch(handoff),
    )


def reject_unread(found: Found, run_id: str) -> list[Rejected | Skipped]:
    """Answer each file of ``found.unread`` (a format the pipeline does not read): rejected, quarantined and
    alerted like any file the stage cannot read, under this run's claim; one another run holds is left to it."""
    dsn = runtime.warehouse_dsn()
    store = runtime.store()
    answers = []
    for submission_id in found.unread:
        unread = Found(**_branch(found), state=BranchState.PROCESS, submission_id=submission_id)
        if not submissions.claim(dsn, submission_id, run_id):
            answers.append(_skip(dsn, unread, run_id))
            continue
        try:
            stage_mod.sniff_archived(store, submissions.get(dsn, submission_id).archive_key)
        except FileRejected as exc:
            answers.append(_reject(dsn, unread, [exc.outcome()], run_id))
            continue
        raise RuntimeError(f"submission {submission_id} was handed on as unread, but its format is read")
    return answers


def stage_found(found: Found, run_id: str) -> Staged | Rejected | Skipped:
    """Claim the submission for ``run_id`` and stage it; a submission another run holds is skipped.

    The files of ``found.unread`` are rejected first (:func:`reject_unread`), whatever becomes of the month's.
    """
    dsn = runtime.warehouse_dsn()
    reject_unread(found, run_id)
    if not submissions.claim(dsn, found.submission_id, run_id):
        return _skip(dsn, found, run_id)
    try:
        result = _stage_from_archive(dsn, found, run_id)
    except FileRejected as exc:
        return _reject(dsn, found, [exc.outcome()], run_id)
    if not submissions.set_status(dsn, found.submission_id, "staged", row_count=result.rows, run_id=run_id):
        return _skip(dsn, found, run_id)  # taken over while the COPY ran
    layout = result.layout
    return Staged(**_branch(found), submission_id=found.submission_id, waited=found.waited, rows=result.rows,
                  format=layout.format, encoding=layout.encoding, delimiter=layout.delimiter,
                  unknown_columns=tuple(layout.unknown_columns))


def _still_staged(dsn: str, handoff: Found, run_id: str) -> bool:
    """Renew the claim and make sure the run's staging holds the rows stage recorded, before a step uses it.

    False if the run no longer holds the claim. Staging gone or short (a crash empties UNLOGGED
    tables, a sweep drops those of a lapsed claim) is re-staged from the archive, the same bytes
    under their checksum; if that still disagrees with the count stage recorded, the task fails.
    """
    submission_id = handoff.submission_id
    with warehouse.connect(dsn) as conn, conn.cursor() as cur:
        held, recorded = submissions.hold(cur, submission_id, run_id)
    if not held:
        return False
    with warehouse.connect(dsn) as conn, conn.cursor() as cur:
        rows = stage_mod.staged_rows(cur, submission_id, run_id)
    if rows == recorded and rows is not None:
        return True
    log.warning("%s %s: staging of submission %s holds %s rows, stage recorded %s; re-staging from the archive",
                handoff.kode_kabkota, handoff.periode, submission_id, rows, recorded)
    try:
        again = _stage_from_archive(dsn, handoff, run_id).rows
    except FileRejected as exc:  # these bytes were staged before: a fault, not a finding
        raise stage_mod.StagingLost(f"re-staging submission {submission_id} failed: {exc.message}") from exc
    if again != recorded:
        raise stage_mod.StagingLost(
            f"submission {submission_id}: re-staged {again} rows from the archive, stage recorded {recorded}"
        )
    return True


def validate_staged(staged: Staged, run_id: str) -> Validated | Rejected | Skipped:
    """Run the suite on the staged rows and decide; a submission this run no longer holds is skipped."""
    dsn = runtime.warehouse_dsn()
    if not _still_staged(dsn, staged, run_id):
        return _skip(dsn, staged, run_id)
    extra = []
    if staged.unknown_columns:
        extra.append(
            RuleOutcome(
                rule="unknown_columns",
                severity="warning",
                description="Kolom di luar template diabaikan: "
                + ", ".join(staged.unknown_columns)
                + ". (Columns outside the template were ignored.)",
                count=len(staged.unknown_columns),
            )
        )
    store = runtime.store()
    parameters = history.row_count_bounds(dsn, staged.province, staged.periode, staged.kode_kabkota)
    verdict = validate_mod.validate_submission(dsn, store, staged, run_id, parameters, extra)
    docs = store.uri(verdict.data_docs_key) if verdict.data_docs_key else None
    listing = None
    if not verdict.accepted or verdict.failed_warnings:  # drawn now: staging is dropped once the branch ends
        listing = correction_list.collect(dsn, staged.submission_id, run_id, verdict.results,
                                          cap=_correction_cap(staged.province), parameters=parameters)
    if not verdict.accepted:
        return _reject(dsn, staged, verdict.reasons(), run_id, verdict.results, data_docs=docs, listing=listing)
    ref = _file(dsn, staged) if listing is not None else None
    alert_id = None
    with warehouse.connect(dsn) as conn, conn.cursor() as cur:
        held, _ = submissions.hold(cur, staged.submission_id, run_id)
        if held:
            validate_mod.record(cur, staged.submission_id, run_id, verdict.results)
            if ref is not None:  # accepted with warnings: its correction list and alert, with the verdict
                links = _correction_links(store, ref, listing, False, docs)
                alert_id = record(cur, warned_alert(ref, verdict.failed_warnings, links=links))
    if not held:
        return _skip(dsn, staged, run_id)
    if alert_id is not None:
        deliver(dsn, alert_id)
    return Validated(**vars(staged), warnings=tuple(r.rule for r in verdict.failed_warnings))


def merge_validated(validated: Validated, run_id: str) -> Merged | Held | Skipped:
    """Merge the accepted submission as the kab/kota-month's batch; a submission this run no longer holds is skipped.

    When an approval locks the kab/kota-month (:mod:`bansos.approve`), the correction is not merged: it stays
    archived and validated, answered "held: month locked" and alerted once (:class:`Held`, a skip); after an
    unlock the next run of the month finds it again and merges it.
    """
    dsn = runtime.warehouse_dsn()
    if not _still_staged(dsn, validated, run_id):
        return _skip(dsn, validated, run_id)
    result = merge_mod.merge_submission(
        dsn,
        submission_id=validated.submission_id,
        key=runtime.pseudonym_key(),
        run_id=run_id,
        **_branch(validated),
    )
    if result.action is BranchState.SKIPPED:
        return _skip(dsn, validated, run_id)
    stage_mod.drop_staging(dsn, validated.submission_id, run_id)
    if result.action is BranchState.HELD:
        sent = deliver(dsn, result.alert_id)
        return Held(**_branch(validated), submission_id=validated.submission_id, rows=result.rows,
                    approved_batch_id=result.batch_id, warnings=validated.warnings, alerted=sent)
    return Merged(**_branch(validated), state=result.action, submission_id=validated.submission_id,
                  batch_id=result.batch_id, rows=result.rows, replaced_batch_id=result.replaced_batch_id,
                  warnings=validated.warnings)


def end_failed_branch(province: str, periode: str, kode_kabkota: str, run_id: str) -> None:
    """After a branch's task failed for good: drop the run's staging tables of that kab/kota-month (clear
    NIK, names and birth dates must not stay behind) and give up its claim, so the next run need not wait
    for the lease."""
    dsn = runtime.warehouse_dsn()
    for submission_id in submissions.release(dsn, province, periode, kode_kabkota, run_id):
        stage_mod.drop_staging(dsn, submission_id, run_id)
    log.info("%s %s: staging of run %s dropped, claims released", kode_kabkota, periode, run_id)


def on_branch_failure(context) -> None:
    """``on_failure_callback`` of a branch's tasks (after their last retry): :func:`end_failed_branch`.

    Finds the kab/kota-month in the task's reference argument (validate, merge) or on the extract
    operator itself. Never raises: a failing cleanup is logged and left to the next run's sweep, so it
    cannot hide the task's own error.
    """
    task = context["task"]
    try:
        refs = [v for v in (getattr(task, "op_kwargs", None) or {}).values() if isinstance(v, dict)]
        where = refs[0] if refs else {"province": task.province, "periode": task.periode,
                                       "kode_kabkota": task.kode_kabkota}
        end_failed_branch(where["province"], where["periode"], where["kode_kabkota"], context["run_id"])
    except Exception:  # noqa: BLE001 - the next run's sweep drops what is left
        log.exception("cleanup of the failed branch did not finish; the next run's prepare sweeps it")


def publish(province: str, periode: str) -> dict:
    """Refresh the monthly marts of the period's year and record which batches the published figures rest on.

    The regional breakdown is left to the publish DAG, which this run's Asset event triggers (see
    :mod:`bansos.publish.marts`).
    """
    from bansos.publish import lineage, marts

    dsn = runtime.warehouse_dsn()
    tahun = int(periode[:4])
    with warehouse.connect(dsn) as conn, conn.cursor() as cur:
        written = marts.refresh(cur, province, tahun, None, only=marts.MONTHLY)
        publication_id, is_new = lineage.record_publication(dsn, province, tahun, cur=cur)
    table = publish_mod.yearly_table(dsn, load_province(province), tahun)
    log.info(
        "marts of %s refreshed (%s); publication %s%s\n%s\n%s",
        tahun,
        written,
        publication_id,
        " (new)" if is_new else " (unchanged)",
        table.render(),
        table.approval_line(),
    )
    return {
        "province": province,
        "tahun": tahun,
        "marts": written,
        "publication_id": publication_id,
        "kk_sum_programmes": table.kk_sum_programmes,
        "kk_distinct": table.kk_distinct,
        "kk_sum_programmes_final": table.kk_sum_programmes_final,
        "provisional_months": table.provisional_months,
    }


def integrity(province: str, periode: str) -> dict:
    """After every branch merged: findings across kab/kota, recorded and alerted as a warning."""
    from bansos.validate import integrity as integrity_mod

    dsn = runtime.warehouse_dsn()
    findings = integrity_mod.check_month(dsn, province, periode)
    rules = integrity_mod.as_rules(findings)
    alert_id = notify(dsn, integrity_alert(province, periode, rules)) if rules else None
    return {"findings": len(findings), "by_kind": {r.rule: r.count for r in rules}, "alert_id": alert_id}


def report(province: str, periode: str, now=None, run_id: str | None = None) -> dict:
    """Log which kab/kota are loaded, missing, rejected or being processed by another run (``elsewhere``);
    alert the missing ones once the deadline passed.

    Then send every alert a channel still owes (this run's or an earlier one's); alerts still pending
    after that are logged, not failed on: the decisions stand and the next run retries them.
    """
    from bansos.domain.deadline import deadline_for, passed
    from bansos.publish import report as report_mod

    dsn = runtime.warehouse_dsn()
    statuses = report_mod.period_status(dsn, province, periode, run_id)
    log.info("%s", report_mod.render(province, periode, statuses))
    deadline = deadline_for(load_province(province), periode)
    if passed(deadline, now):
        store = runtime.store()
        for s in statuses:
            if s.state == "missing":
                landing = store.uri(f"{landing_folder(province, periode, s.kode)}/")
                notify(dsn, missing_alert(province, periode, s.kode, deadline.date(), links={"Landing": landing}))
    retry_pending(dsn)
    return {s.kode: s.state for s in statuses}
