"""The monthly pipeline's steps, callable without Airflow: each Airflow task calls one or more of them.

The branch's ``extract`` task runs :func:`extract` then :func:`stage` (after its wait, see
:mod:`bansos.waiting`); ``validate`` and ``merge`` run one step each.

Each step takes and returns small JSON-able references (codes, submission ids, counts), never a
path on the worker's disk or a DataFrame, so the same DAG runs on Local, Celery or Kubernetes
executors. Settings come from :mod:`bansos.runtime`.
"""

from __future__ import annotations

import logging

from bansos import extract as extract_mod
from bansos import history, reference, runtime, submissions, warehouse
from bansos import merge as merge_mod
from bansos import publish as publish_mod
from bansos import stage as stage_mod
from bansos import validate as validate_mod
from bansos.alert import deliver, integrity_alert, missing_alert, notify, record, rejected_alert, retry_pending
from bansos.config import load_province
from bansos.contract import FileRejected
from bansos.quarantine import quarantine_submission

log = logging.getLogger(__name__)


def prepare_warehouse(province: str) -> dict:
    """Apply pending migrations, (re)apply the roles' grants, refresh reference data and province settings.

    One at a time: a backfill starts several monthly runs together, and one run's GRANTs on the
    ``ref`` tables while another loads them failed with "tuple concurrently updated".
    """
    from bansos import roles

    dsn = runtime.warehouse_dsn()
    with warehouse.exclusive(dsn, "bansos:prepare_warehouse"):
        applied = warehouse.migrate(dsn)
        role_setup = roles.ensure_roles(dsn)
        loaded = reference.sync(dsn, load_province(province))
    log.info("warehouse ready: migrations applied %s, roles %s, reference %s", applied or "none", role_setup, loaded)
    return {"migrations": applied, "roles": role_setup, "reference": loaded}


def extract(province: str, periode: str, kode_kabkota: str) -> dict:
    found = extract_mod.find_and_archive(
        runtime.warehouse_dsn(),
        runtime.store(),
        province=province,
        periode=periode,
        kode_kabkota=kode_kabkota,
    )
    return found.to_xcom() | {"province": province, "periode": periode}


def _reject(dsn: str, ref: dict, reasons: list[dict]) -> dict:
    """Quarantine the file with its reasons, record the decision, tell the people on duty.

    The alert is recorded before the decision (keyed by the submission, so a retry records it once):
    a submission is never rejected without its alert pending, and a channel that is down gets it later.
    """
    store = runtime.store()
    key = quarantine_submission(store, ref, reasons)
    links = {"Data Docs": ref.get("data_docs"), "Quarantine": store.uri(key)}
    with warehouse.connect(dsn) as conn, conn.cursor() as cur:
        alert_id = record(cur, rejected_alert(ref | {"quarantine_key": key}, reasons, links=links))
    submissions.set_status(dsn, ref["submission_id"], "rejected", reasons=reasons, quarantine_key=key)
    stage_mod.drop_staging(dsn, ref["submission_id"])
    rules = "; ".join(r["rule"] for r in reasons)
    log.error("%s %s rejected: %s (quarantined at %s)", ref["kode_kabkota"], ref["periode"], rules, key)
    sent = deliver(dsn, alert_id)
    return ref | {"action": "rejected", "quarantine_key": key, "reasons": reasons, "alerted": sent}


def stage(found: dict) -> dict:
    dsn = runtime.warehouse_dsn()
    try:
        result = stage_mod.stage_submission(
            dsn,
            runtime.store(),
            submission_id=found["submission_id"],
            archive_key=found["archive_key"],
            province=found["province"],
            periode=found["periode"],
            kode_kabkota=found["kode_kabkota"],
        )
    except FileRejected as exc:
        return _reject(
            dsn,
            found,
            [
                {
                    "rule": exc.code,
                    "severity": "error",
                    "count": None,
                    "description": exc.message,
                    "examples": [],
                }
            ],
        )
    submissions.set_status(dsn, found["submission_id"], "staged", row_count=result.rows)
    notes = []
    if result.layout.unknown_columns:
        notes.append(f"unknown columns ignored: {', '.join(result.layout.unknown_columns)}")
    return found | {
        "action": "process",
        "rows": result.rows,
        "format": result.layout.format,
        "encoding": result.layout.encoding,
        "delimiter": result.layout.delimiter,
        "unknown_columns": result.layout.unknown_columns,
        "notes": notes,
    }


def validate(staged: dict, run_id: str) -> dict:
    dsn = runtime.warehouse_dsn()
    extra = []
    if staged.get("unknown_columns"):
        extra.append(
            validate_mod.RuleResult(
                rule="unknown_columns",
                severity="warning",
                success=False,
                description="Kolom di luar template diabaikan: "
                + ", ".join(staged["unknown_columns"])
                + ". (Columns outside the template were ignored.)",
                unexpected_count=len(staged["unknown_columns"]),
            )
        )
    store = runtime.store()
    parameters = history.row_count_bounds(dsn, staged["province"], staged["periode"], staged["kode_kabkota"])
    verdict = validate_mod.validate_submission(dsn, store, staged, run_id, parameters, extra)
    docs = {"data_docs": store.uri(verdict.data_docs_key)}
    if not verdict.accepted:
        return _reject(dsn, staged | docs, verdict.reasons())
    return staged | docs | {"action": "process", "warnings": [r.rule for r in verdict.failed_warnings]}


def merge(validated: dict) -> dict:
    dsn = runtime.warehouse_dsn()
    result = merge_mod.merge_submission(
        dsn,
        submission_id=validated["submission_id"],
        province=validated["province"],
        periode=validated["periode"],
        kode_kabkota=validated["kode_kabkota"],
        key=runtime.pseudonym_key(),
    )
    stage_mod.drop_staging(dsn, validated["submission_id"])
    keep = ("kode_kabkota", "periode", "submission_id", "file_name", "data_docs", "warnings")
    return {k: validated[k] for k in keep if k in validated} | result.to_xcom()


def publish(province: str, periode: str) -> dict:
    """Refresh the monthly marts of the period's year and record which batches the published figures rest on.

    The regional breakdown is left to the publish DAG, which this run's Asset event triggers (see
    :mod:`bansos.marts`).
    """
    from bansos import lineage, marts

    dsn = runtime.warehouse_dsn()
    tahun = int(periode[:4])
    with warehouse.connect(dsn) as conn, conn.cursor() as cur:
        written = marts.refresh(cur, province, tahun, None, only=marts.MONTHLY)
        publication_id, is_new = lineage.record_publication(dsn, province, tahun, cur=cur)
    table = publish_mod.yearly_table(dsn, load_province(province), tahun)
    log.info(
        "marts of %s refreshed (%s); publication %s%s\n%s",
        tahun,
        written,
        publication_id,
        " (new)" if is_new else " (unchanged)",
        table.render(),
    )
    return {
        "province": province,
        "tahun": tahun,
        "marts": written,
        "publication_id": publication_id,
        "kk_sum_programmes": table.kk_sum_programmes,
        "kk_distinct": table.kk_distinct,
    }


def integrity(province: str, periode: str) -> dict:
    """After every branch merged: findings across kab/kota, recorded and alerted as a warning."""
    from bansos import integrity as integrity_mod

    dsn = runtime.warehouse_dsn()
    findings = integrity_mod.check_month(dsn, province, periode)
    rules = integrity_mod.as_rules(findings)
    alert_id = notify(dsn, integrity_alert(province, periode, rules)) if rules else None
    return {"findings": len(findings), "by_kind": {r["rule"]: r["count"] for r in rules}, "alert_id": alert_id}


def report(province: str, periode: str, now=None) -> dict:
    """Log which kab/kota are loaded, missing or rejected; alert the missing ones once the deadline passed.

    Then send every alert a channel still owes (this run's or an earlier one's); alerts still pending
    after that are logged, not failed on: the decisions stand and the next run retries them.
    """
    from bansos import report as report_mod
    from bansos.deadline import deadline_for, passed

    dsn = runtime.warehouse_dsn()
    statuses = report_mod.period_status(dsn, province, periode)
    log.info("%s", report_mod.render(province, periode, statuses))
    deadline = deadline_for(load_province(province), periode)
    if passed(deadline, now):
        store = runtime.store()
        for s in statuses:
            if s.state == "missing":
                landing = store.uri(f"landing/{province}/{periode}/{s.kode}/")
                notify(dsn, missing_alert(province, periode, s.kode, deadline.date(), links={"Landing": landing}))
    retry_pending(dsn)
    return {s.kode: s.state for s in statuses}
