"""
### The province's approval of a month (one DAG per province, built by its own `dags/provinsi_*.py`)

Started by each monthly run's last task (`request_approval`) with the month in `conf` (`{"periode": "YYYY-MM"}`)
and the run id `approval__<periode>__<monthly run id>`; a manual run may set the month too.

**request** reads what the approver signs: per kab/kota its state (loaded, rejected, pending, missing), rows,
KK and Rupiah by programme against the previous month, data-quality warnings and integrity findings, with
links to the monthly run, the Data Docs and the draft report; a month whose merged kab/kota are all approved
already ends here (skipped). **approve** waits in Required Actions (or REST API v2 `hitlDetails`) in the
`awaiting_input` state, holding no worker slot: approve all, approve with kab/kota held back, or reject, with
a reason. **record** appends the answer to `core.approval` (who, when, which batches, through which channel);
an answer on batches that changed since the request is refused. **refresh** refreshes the marts, so their
`approval_status` shows final or provisional, and tells the publish DAG.

Not answered within the province's time (`approval_timeout_hours`, or the `response_timeout_seconds` param):
alerted, the task fails, the month stays provisional. Nothing is ever approved by default.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Param, dag, task

from bansos.domain import dags
from bansos.domain.config import load_province
from bansos.orchestration import answers, approval, assets, steps


def build(province_code: str):
    """The province's DAG factory, called through `bansos_province.build` by the province's own DAG file (the
    DagBag records that file as the DAG's file, which workers parse again to run a task)."""
    province = load_province(province_code)

    @dag(
        dag_id=dags.approval(province.kode),
        description=f"Approval of a month of {province.nama} by the province (human in the loop)",
        schedule=None,
        start_date=pendulum.datetime(2022, 1, 1, tz=province.timezone),
        catchup=False,
        max_active_runs=64,  # a waiting run holds no slot; a backfilled year of months may all wait at once
        default_args={"owner": "dinsos-data", "retries": 2, "retry_delay": timedelta(seconds=30)},
        params={
            "periode": Param(
                type="string", pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="Month to approve (YYYY-MM)"
            ),
            "response_timeout_seconds": Param(
                None,
                type=["null", "integer"],
                minimum=1,
                description="Wait this long for the answer; empty = the province's setting",
            ),
        },
        tags=["bansos", f"provinsi-{province.kode}", "approval"],
        doc_md=__doc__,
    )
    def approval_dag():
        @task(task_id=answers.REQUEST_TASK_ID, multiple_outputs=False)
        def request(params=None, run_id=None, ti=None) -> dict:
            return approval.build_request(province.kode, params["periode"], run_id=run_id, ti=ti)

        answer = approval.month_approval(province.kode)

        @task(multiple_outputs=False)
        def record(req: dict, answer: dict, params=None, run_id=None) -> dict:
            return approval.record_answer(province.kode, params["periode"], req, answer, run_id)

        @task(multiple_outputs=False, outlets=[assets.mart_asset(province.kode)])
        def refresh(recorded: dict, params=None, outlet_events=None) -> dict:
            periode = params["periode"]
            outlet_events[assets.mart_asset(province.kode)].extra = assets.event_extra(province.kode, periode)
            return steps.publish(province.kode, periode)

        req = request()
        req >> answer
        refresh(record(req, answer.output))

    return approval_dag
