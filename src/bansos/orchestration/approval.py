"""The approval DAG's steps: ask the province to sign a month, record the answer, refresh the marts (issue 13).

Why a DAG of its own (``bansos_approval_<province>``), started by each monthly run's end, and not a task at
the end of the monthly DAG: a run waiting for a person stays *running*, and the monthly DAG's
``max_active_runs`` counts it, so a backfill of twelve months would stall behind four months nobody has
answered yet. Here the monthly run ends as soon as its data is merged and published as provisional; the
approval run waits on its own, in Airflow 3.3's ``awaiting_input`` state (no worker, triggerer or pool slot).

Steps: :func:`build_request` (the month's :class:`bansos.approve.ApprovalRequest`, skipped when nothing
new waits for approval) -> :class:`MonthApproval` (the standard provider's ``HITLOperator``: approve all,
approve with kab/kota held back, reject; the request's markdown is its body) -> :func:`record_answer`
(``bansos.approve.record`` with the request's batches: an answer on figures that changed meanwhile is
refused) -> ``steps.publish`` (the marts show final / provisional). An unanswered request times out after
the province's setting (:func:`response_timeout`) and is alerted; it never defaults to an approval, and
the month stays provisional.

Which channel answered: Airflow records who answered, not how; the form's ``channel`` field says it
(``ui`` by default, a REST client sends ``rest``).
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from typing import Any

from airflow.providers.standard.operators.hitl import HITLOperator
from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import Param
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from bansos import approve
from bansos.domain import dags
from bansos.domain.config import load_province
from bansos.domain.layout import datadocs_month_folder, publish_folder
from bansos.orchestration.answers import ANSWER_TASK_ID, CHANNELS, DECISION_OF, OPTIONS, REQUEST_TASK_ID
from bansos.warehouse import runtime

log = logging.getLogger(__name__)


def response_timeout(province: str, override_seconds: Any = None) -> timedelta:
    """How long a month waits for its answer: a run's ``response_timeout_seconds`` param (manual runs, tests),
    else ``BANSOS_APPROVAL_TIMEOUT_SECONDS`` (a whole test stack), else the province's ``approval_timeout_hours``."""
    for value in (override_seconds, os.environ.get("BANSOS_APPROVAL_TIMEOUT_SECONDS")):
        if value not in (None, "", "None"):
            return timedelta(seconds=int(value))
    return timedelta(hours=load_province(province).approval_timeout_hours)


def describe(timeout: timedelta) -> str:
    """``7 days``, ``36 hours``, ``90 seconds``: the alert's wording of the timeout."""
    seconds = int(timeout.total_seconds())
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} seconds"


def trigger(province: str, periode_task_id: str = "prepare") -> TriggerDagRunOperator:
    """The monthly run's last step: start the month's approval run and go on (no waiting).

    The run id is deterministic, ``approval__<periode>__<monthly run id>``: a retried trigger finds its run
    and leaves it; each monthly run (a re-run, a correction) asks again, and the request step of a month
    whose batches are all approved already ends there.
    """
    periode = "{{ ti.xcom_pull(task_ids='" + periode_task_id + "') }}"
    return TriggerDagRunOperator(
        task_id="request_approval",
        trigger_dag_id=dags.approval(province),
        trigger_run_id="approval__" + periode + "__{{ run_id }}",
        conf={"periode": periode},
        logical_date=None,
        skip_when_already_exists=True,
        wait_for_completion=False,
    )


def _airflow_base(ti) -> str | None:
    url = getattr(ti, "log_url", None) or ""
    return url.split("/dags/", 1)[0] if "/dags/" in url else None


def links(province: str, periode: str, monthly_run_id: str | None, ti=None) -> dict[str, str]:
    """The request's links: the monthly run in Airflow, the month's Data Docs, the draft report."""
    store = runtime.store()
    out: dict[str, str] = {}
    base = _airflow_base(ti) if ti is not None else None
    if base and monthly_run_id:
        out["Airflow run"] = f"{base}/dags/{dags.monthly(province)}/runs/{monthly_run_id}"
    out["Data Docs"] = store.uri(f"{datadocs_month_folder(province, periode)}/")
    out["Draft report"] = store.uri(f"{publish_folder(province, int(periode[:4]))}/laporan.html")
    return out


def monthly_run_of(run_id: str | None) -> str | None:
    """The monthly run id inside an approval run id made by :func:`trigger` (None for a manual run)."""
    if run_id and run_id.startswith("approval__") and run_id.count("__") >= 2:
        return run_id.split("__", 2)[2]
    return None


def needs_answer(req: approve.ApprovalRequest) -> bool:
    """Whether the month has a merged kab/kota that is not final: something new to sign."""
    return any(k.batch_id is not None and k.approval_status != "final" for k in req.kabkota)


def build_request(province: str, periode: str, run_id: str | None = None, ti=None) -> dict:
    """The month's approval request as XCom JSON (with its markdown); skips the run when nothing waits."""
    req = approve.request(runtime.warehouse_dsn(), province, periode,
                          links=links(province, periode, monthly_run_of(run_id), ti))
    if not req.batch_ids:
        raise AirflowSkipException(f"{province} {periode}: no kab/kota merged, nothing to approve")
    if not needs_answer(req):
        raise AirflowSkipException(f"{province} {periode}: every merged kab/kota is approved already")
    log.info("approval request of %s %s: batches %s", province, periode, req.batch_ids)
    return req.to_dict() | {"markdown": req.markdown(), "batch_ids": req.batch_ids}


def decision(answer: dict) -> tuple[str, list[str], str, str]:
    """(decision, held, reason, channel) from the HITL operator's result; refuses an answer that
    contradicts itself (held kab/kota with "approve all", none with "approve with held")."""
    (chosen,) = answer["chosen_options"]
    params = answer.get("params_input") or {}
    held = sorted(set(params.get("held") or []))
    reason = (params.get("reason") or "").strip()
    channel = params.get("channel") or "ui"
    what = DECISION_OF[chosen]
    if what == "approved" and held:
        raise AirflowFailException("'approve all' with kab/kota held back: choose 'approve with held' instead")
    if what == "approved_with_held" and not held:
        raise AirflowFailException("'approve with held' needs the kab/kota held back in 'held'")
    return what, held, reason, channel


def _who(answer: dict) -> str:
    user = answer.get("responded_by_user") or {}
    return str(user.get("name") or user.get("id") or "")


def record_answer(province: str, periode: str, request: dict, answer: dict, run_id: str) -> dict:
    """``bansos.approve.record`` of the approver's answer, on the batches the request showed."""
    what, held, reason, channel = decision(answer)
    who = _who(answer)
    try:
        row = approve.record(runtime.warehouse_dsn(), province, periode, what, held=held, reason=reason,
                             who=who, source=channel, run_id=run_id,
                             expected_batches=request["batch_ids"])
    except approve.StaleRequest as exc:
        raise AirflowFailException(f"{exc}; the month stays provisional: run it again for a new request") from exc
    except ValueError as exc:
        raise AirflowFailException(str(exc)) from exc
    log.info("%s %s: %s by %s via %s (approval %s, batches %s)", province, periode, what, who, channel,
             row.approval_id, list(row.batch_ids))
    return {"approval_id": row.approval_id, "decision": row.decision, "batch_ids": list(row.batch_ids),
            "held": held, "who": who, "source": channel}


def on_timeout(province: str, periode: str, timeout: timedelta, run_id: str | None, ti=None) -> int:
    """Record and send the province's "not approved in time" alert (``bansos.alert.approval_overdue``, one per
    province-month); returns its id. Nothing is recorded in ``core.approval``: the month stays provisional."""
    from bansos.alert import approval_overdue

    base = _airflow_base(ti) if ti is not None else None
    run_url = f"{base}/dags/{dags.approval(province)}/runs/{run_id}" if base and run_id else None
    alert_id = approval_overdue(province, periode, timeout, run_url=run_url, dsn=runtime.warehouse_dsn())
    log.warning("%s %s not approved within %s: alerted (alert %s)", province, periode, describe(timeout), alert_id)
    return alert_id


def form(province: str) -> dict:
    """The answer's fields beside the option: the kab/kota held back, the reason, the channel."""
    codes = load_province(province).kabkota_codes
    return {
        "held": Param([], type="array", items={"type": "string", "enum": codes}, examples=codes,
                      description="Kab/kota held back (with 'approve with held')"),
        "reason": Param("", type="string", description="Why (required to hold back or reject)"),
        "channel": Param("ui", type="string", enum=list(CHANNELS),
                         description="How you answer: ui (this form) or rest (API clients)"),
    }


def month_approval(province: str, task_id: str = ANSWER_TASK_ID) -> MonthApproval:
    """The approval task of the province's DAG (its form passed as the task's params, as Airflow merges them)."""
    return MonthApproval(task_id=task_id, province=province, params=form(province))


class MonthApproval(HITLOperator):
    """The province-month's approval, in Airflow's Required Actions (or REST API v2 ``hitlDetails``).

    Its body is the request step's markdown and its timeout the province's setting, both read when the
    task runs; it waits in ``awaiting_input`` without a slot. No defaults: a timeout alerts and fails the
    task, and the month stays provisional.
    """

    def __init__(self, *, province: str, **kwargs):
        kwargs.setdefault("retries", 0)  # a retry would ask again and hide the timeout
        super().__init__(
            subject=f"Persetujuan data bansos provinsi {province}",
            options=list(OPTIONS),
            response_timeout=response_timeout(province),
            **kwargs,
        )
        self.province = province

    def _timeout(self, context) -> timedelta:
        return response_timeout(self.province, (context.get("params") or {}).get("response_timeout_seconds"))

    def execute(self, context):
        req = context["ti"].xcom_pull(task_ids=REQUEST_TASK_ID)
        self.subject = f"Persetujuan data bansos {self.province} periode {req['periode']}"
        self.body = req["markdown"]
        self.response_timeout = self._timeout(context)
        return super().execute(context)

    def execute_complete(self, context, event: dict[str, Any]) -> Any:
        if event.get("error_type") == "timeout":
            timeout = self._timeout(context)
            periode = context["params"]["periode"]
            on_timeout(self.province, periode, timeout, context.get("run_id"), context.get("ti"))
            raise AirflowFailException(f"{self.province} {periode} not approved within {describe(timeout)}; "
                                       "it stays provisional (alerted)")
        return super().execute_complete(context, event)
