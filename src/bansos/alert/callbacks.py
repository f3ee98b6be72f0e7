"""``on_task_failure`` and ``on_run_failure``: alerts when a task fails after its retries, or a run fails.

Airflow 3 calls a task's ``on_failure_callback`` in the task's own process once the task is FAILED
(not on a retry), with the task context plus ``exception``. A plain callable is used rather than a
DAG-level ``SmtpNotifier``, which raises inside ``dag.test()`` (apache/airflow#64649). The callbacks
never raise: a failing alert is logged (masked) and swallowed, so it cannot hide the task's own
error.

Task callbacks do not run after SIGKILL or OOM (apache/airflow#60858), so a run whose task was killed
on its last try would tell nobody. ``on_run_failure`` is the DAG-level ``on_failure_callback`` (the
DAG processor runs it when the run fails, for any reason; its context has ``dag``, ``run_id``,
``reason`` and, when the server sent it, the last task instance's context); the DAG's
``fail_if_a_task_failed`` leaf calls it too, from a task, with the run's failed task instances. Both
record the same alert, keyed by DAG and run, so a failed run alerts once however often it is called.
Alerts go through :mod:`bansos.alert.ledger` (recorded, then sent, retried later if a channel is
down); when the warehouse cannot record them (it may be why the task failed) they are sent directly.
"""

from __future__ import annotations

import logging
import re

import pendulum

from bansos.alert import ledger
from bansos.alert.build import names
from bansos.alert.message import Alert
from bansos.alert.redact import clean_text
from bansos.alert.send import send_alert

log = logging.getLogger(__name__)

_PROVINCE_IN_DAG_ID = re.compile(r"_(\d{2})$")
_KABKOTA = re.compile(r"\d{2}\.\d{2}")
_PERIODE = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
ERROR_MAX = 1500


def _province(context, dag_id: str) -> str:
    params = context.get("params") or {}
    if params.get("province"):
        return str(params["province"])
    match = _PROVINCE_IN_DAG_ID.search(dag_id or "")
    return match.group(1) if match else ""


def _periode(context, province: str) -> str | None:
    """The ``periode`` param, else the data interval's month in the province's time zone."""
    params = context.get("params") or {}
    if isinstance(params.get("periode"), str) and _PERIODE.fullmatch(params["periode"]):
        return params["periode"]
    start = context.get("data_interval_start")
    if start is None:
        return None
    tz = "Asia/Jakarta"
    try:
        from bansos.domain.config import load_province

        tz = load_province(province).timezone
    except Exception:  # noqa: BLE001 - an unknown province keeps the default zone
        pass
    return pendulum.instance(start).in_timezone(tz).strftime("%Y-%m")


def _kabkota(context, ti) -> str | None:
    """Set by the DAG's mapped tasks (``kabkota``), their rendered map index, or their arguments."""
    candidates = [context.get("kabkota"), getattr(ti, "rendered_map_index", None)]
    op_kwargs = getattr(context.get("task"), "op_kwargs", None) or {}
    for value in op_kwargs.values() if isinstance(op_kwargs, dict) else ():
        candidates.append(value.get("kode_kabkota") if isinstance(value, dict) else value)
    for value in candidates:
        if isinstance(value, str) and _KABKOTA.fullmatch(value):
            return value
    return None


def _log_url(ti) -> str | None:
    try:
        return ti.log_url
    except Exception:  # noqa: BLE001 - no [api] base_url, or not a runtime task instance
        return None


def task_failed_alert(context) -> Alert:
    """The alert for the failed task described by an Airflow failure-callback context."""
    ti = context.get("ti") or context.get("task_instance")
    dag_id = getattr(ti, "dag_id", None) or getattr(context.get("dag"), "dag_id", None) or "?"
    task_id = getattr(ti, "task_id", None) or "?"
    map_index = getattr(ti, "map_index", None)
    province = _province(context, dag_id)
    kode = _kabkota(context, ti)
    province_name, kabkota_name = names(province, kode)
    exc = context.get("exception")
    error = f"{type(exc).__name__}: {exc}" if isinstance(exc, BaseException) else str(exc or "unknown")
    error = clean_text(error)
    if len(error) > ERROR_MAX:
        error = error[: ERROR_MAX - 3] + "..."
    mapped = isinstance(map_index, int) and map_index >= 0
    instance = task_id + (f" [map_index {map_index}]" if mapped else "")
    run_id = context.get("run_id") or getattr(ti, "run_id", "?")
    details = [f"DAG: {dag_id}", f"Task: {instance}", f"Run: {run_id}",
               f"Percobaan (try): {getattr(ti, 'try_number', '?')}", f"Galat (error): {error}"]
    url = _log_url(ti) if ti is not None else None
    return Alert(
        kind="task_failed", severity="error", province=province, province_name=province_name,
        periode=_periode(context, province), kode_kabkota=kode, kabkota_name=kabkota_name,
        summary=(f"Task {instance} di DAG {dag_id} gagal setelah semua percobaan ulang. "
                 "(The task failed after its retries.)"),
        rules=[], links={"Airflow log": url} if url else {}, details=details,
        dedup_key=f"task_failed:{dag_id}:{run_id}:{task_id}:{map_index}:{getattr(ti, 'try_number', '?')}",
    )


def run_failed_alert(context, failed_tasks: list[str] | None = None) -> Alert:
    """The alert for a failed run, from a DAG-level failure-callback context (or a task's context).

    One per run: its dedup key is the DAG and run id, whatever else the context holds.
    """
    dag_id = getattr(context.get("dag"), "dag_id", None) or getattr(context.get("ti"), "dag_id", None) or "?"
    run_id = context.get("run_id") or getattr(context.get("ti"), "run_id", None) or "?"
    province = _province(context, dag_id)
    province_name, _ = names(province, None)
    reason = clean_text(str(context.get("reason") or "failed"))
    details = [f"DAG: {dag_id}", f"Run: {run_id}", f"Sebab (reason): {reason}"]
    if failed_tasks:
        details.append("Task gagal (failed tasks): " + ", ".join(failed_tasks))
    return Alert(
        kind="run_failed", severity="error", province=province, province_name=province_name,
        periode=_periode(context, province),
        summary=(f"Run {run_id} dari DAG {dag_id} gagal. Task yang gagal setelah percobaan ulang sudah "
                 "mengirim alert sendiri; task yang dimatikan (SIGKILL, kehabisan memori) tidak: lihat Airflow. "
                 "(The run failed. Tasks that failed after their retries sent their own alert; a killed task "
                 "did not: see the run in Airflow.)"),
        details=details, dedup_key=f"run_failed:{dag_id}:{run_id}",
    )


def _notify(alert: Alert) -> None:
    """Record and send through the ledger; without a warehouse to record it, send it directly."""
    from bansos.warehouse import runtime

    try:
        ledger.notify(runtime.warehouse_dsn(), alert)
        return
    except Exception as exc:  # noqa: BLE001 - the warehouse may be what failed: the alert still goes out
        log.error("%s alert could not be recorded in the warehouse (%s); sending it without a record",
                  alert.kind, clean_text(f"{type(exc).__name__}: {exc}"))
    send_alert(alert)


def on_task_failure(context) -> None:
    """Task-level ``on_failure_callback``: build, record and send the alert; never raises."""
    try:
        _notify(task_failed_alert(context))
    except Exception as exc:  # noqa: BLE001 - an alert must not mask the task's own failure
        log.error("task-failure alert could not be sent: %s", clean_text(f"{type(exc).__name__}: {exc}"))


def on_run_failure(context, failed_tasks: list[str] | None = None) -> None:
    """DAG-level ``on_failure_callback``: record and send the run's alert, once per run; never raises."""
    try:
        _notify(run_failed_alert(context, failed_tasks))
    except Exception as exc:  # noqa: BLE001 - a callback must not raise in the DAG processor
        log.error("run-failure alert could not be sent: %s", clean_text(f"{type(exc).__name__}: {exc}"))
