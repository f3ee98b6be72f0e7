"""
### Monthly provincial registry pipeline (one DAG per province, built by its own `dags/provinsi_*.py`)

Each month, for the month that just ended (the data interval, Asia/Jakarta), the province's
**exclusion registry** (`reference/<province>/exclusions/`: NIK that died or moved away, with the date)
is loaded, versioned and pseudonymised; then every kab/kota branch
**extracts** its file from the landing area (archived byte for byte, registered with its SHA-256)
and stages it into PostgreSQL with one COPY, after waiting for it in the triggerer until the
province's deadline if it has not landed yet (no worker slot held while it waits); then it
**validates** it with the Great Expectations suite in `expectations/monthly_extract.json` and
**merges** it into the warehouse, replacing that kab/kota-month atomically. A missing or rejected
extract skips the rest of its branch only; a rejected one is quarantined with its reasons and
alerted. Once every branch is done, **integrity** looks across kab/kota (the same NIK paid by two
kab/kota, one NIK in two households), **publish** refreshes the summary mart of the year and
**report** says which kab/kota are loaded, missing or rejected, and alerts the missing ones after
the province's deadline. A task that fails after its retries alerts too. Last, **request_approval**
starts the month's run of `bansos_approval_<province>` (the province signs the month there; this run
does not wait for it, so a backfill never stalls behind approvals).

Manual runs may set the `periode` param (`YYYY-MM`). Backfill a year with `airflow backfill create
--dag-id bansos_monthly_21 --from-date 2022-01-01T00:00:00+07:00 --to-date 2022-12-31T00:00:00+07:00`.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow.sdk import (
    CronDataIntervalTimetable,
    Param,
    TriggerRule,
    dag,
    get_current_context,
    task,
    task_group,
)
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from bansos.alert.callbacks import on_run_failure, on_task_failure
from bansos.domain import dags
from bansos.domain.config import load_province
from bansos.domain.handoff import from_xcom
from bansos.orchestration import approval, assets, steps
from bansos.orchestration.waiting import LandingExtract

# The last month the scheduler may schedule (ISO date; unset in production). The demo and the tests set
# it to the end of 2022, so that unpausing the DAG does not start a run for last month's (empty) period.
SCHEDULE_END = pendulum.parse(os.environ["BANSOS_SCHEDULE_END"]) if os.environ.get("BANSOS_SCHEDULE_END") else None
# How often a waiting branch looks at the landing area (seconds); the end-to-end tests shorten it.
LANDING_POKE_SECONDS = int(os.environ.get("BANSOS_LANDING_POKE_SECONDS", "300"))


def _label(ref: dict) -> str:
    """Name a mapped task instance after its kab/kota in the UI."""
    kode = ref["kode_kabkota"]
    get_current_context()["kabkota"] = kode
    return kode


def _continue_only_if_processing(ref: dict) -> None:
    handoff = from_xcom(ref)
    if not handoff.goes_on:
        raise AirflowSkipException(handoff.ending())


def _failed_tasks(ti, dag_run) -> list[str] | None:
    """The run's failed task instances (``task_id`` or ``task_id_<map index>``), None when Airflow cannot say."""
    try:
        states = ti.get_task_states(dag_id=dag_run.dag_id, run_ids=[dag_run.run_id]).get(dag_run.run_id, {})
    except Exception:  # noqa: BLE001 - the list only enriches the alert; the alert goes out without it
        return None
    return sorted(task for task, state in states.items() if state == "failed")


def build(province_code: str):
    """The province's DAG factory, called through `bansos_province.build` by the province's own DAG file (the
    DagBag records that file as the DAG's file, which workers parse again to run a task)."""
    province = load_province(province_code)

    @dag(
        dag_id=dags.monthly(province.kode),
        description=f"Monthly social-assistance extracts of {province.nama}: extract, validate, merge, publish",
        schedule=CronDataIntervalTimetable("0 2 1 * *", timezone=province.timezone),
        start_date=pendulum.datetime(2022, 1, 1, tz=province.timezone),
        end_date=SCHEDULE_END,
        catchup=False,
        max_active_runs=4,
        # a failed run alerts once, whatever failed: also a task killed on its last try (SIGKILL, OOM), which
        # runs no task callback (apache/airflow#60858); runs in the DAG processor, keyed by DAG and run id
        on_failure_callback=on_run_failure,
        default_args={
            "owner": "dinsos-data",
            "retries": 2,
            "retry_delay": timedelta(seconds=30),
            "on_failure_callback": on_task_failure,  # after the last retry: email / webhook / outbox
        },
        params={
            "periode": Param(
                None,
                type=["null", "string"],
                pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
                description="Month to process (YYYY-MM); empty = the data interval's month",
            ),
            "wait_until": Param(
                None,
                type=["null", "string"],
                description="Wait for late kab/kota until this ISO date-time (province time); "
                "empty = the province's deadline",
            ),
        },
        tags=["bansos", f"provinsi-{province.kode}", "monthly"],
        doc_md=__doc__,
    )
    def pipeline():
        @task
        def prepare(params=None, data_interval_start=None) -> str:
            # one task, not two: the month to process, and the warehouse ready for it (pending migrations,
            # roles' grants, reference data); every later task takes the month it returns
            if params and params.get("periode"):
                periode = params["periode"]
            elif data_interval_start is None:
                raise AirflowFailException("a manual run without a data interval needs the 'periode' param (YYYY-MM)")
            else:
                periode = pendulum.instance(data_interval_start).in_timezone(province.timezone).strftime("%Y-%m")
            steps.prepare_warehouse(province.kode)
            return periode

        @task(multiple_outputs=False)
        def load_exclusions(periode: str) -> dict:
            # the province's exclusion registry (reference/<province>/exclusions/: NIK no longer to be paid),
            # archived, checked and pseudonymised before any branch validates against it; takes the month
            # only to run after prepare's migrations
            return steps.load_exclusions(province.kode)

        @task_group
        def kabkota(kode_kabkota: str, periode: str):
            # waits in the triggerer (no worker slot) until the file lands or the deadline passes, then
            # archives, registers and stages it; a backfilled month is past its deadline and goes straight on
            # after a branch task's last retry: its staging tables dropped, its claim released
            # (bansos.orchestration.steps)
            on_failure = [on_task_failure, steps.on_branch_failure]
            staged = LandingExtract(
                task_id="extract",
                on_failure_callback=on_failure,
                province=province.kode,
                periode=periode,
                kode_kabkota=kode_kabkota,
                wait_until="{{ params.wait_until }}",
                poke_interval=LANDING_POKE_SECONDS,
                map_index_template="{{ task.kode_kabkota }}",
            )

            @task(multiple_outputs=False, map_index_template="{{ kabkota }}", on_failure_callback=on_failure)
            def validate(staged: dict, run_id=None) -> dict:
                _label(staged)
                validated = steps.validate(staged, run_id)
                _continue_only_if_processing(validated)
                return validated

            @task(multiple_outputs=False, map_index_template="{{ kabkota }}", on_failure_callback=on_failure)
            def merge(validated: dict, run_id=None) -> dict:
                _label(validated)
                return steps.merge(validated, run_id)

            merge(validate(staged.output))

        @task(multiple_outputs=False, trigger_rule=TriggerRule.NONE_FAILED)
        def integrity(periode: str) -> dict:
            return steps.integrity(province.kode, periode)

        @task(multiple_outputs=False, trigger_rule=TriggerRule.NONE_FAILED, outlets=[assets.mart_asset(province.kode)])
        def publish(periode: str, outlet_events=None) -> dict:
            # the event tells the publish DAG which province-year changed
            outlet_events[assets.mart_asset(province.kode)].extra = assets.event_extra(province.kode, periode)
            return steps.publish(province.kode, periode)

        @task(multiple_outputs=False, trigger_rule=TriggerRule.ALL_DONE)
        def report(periode: str, run_id=None) -> dict:
            # a kab/kota another run is processing right now ("elsewhere") is that run's to report
            states = steps.report(province.kode, periode, run_id=run_id)
            stuck = sorted(k for k, state in states.items() if state == "incomplete")
            if stuck:
                raise AirflowFailException(f"kab/kota not processed to the end: {', '.join(stuck)}")
            return states

        @task(trigger_rule=TriggerRule.ONE_FAILED, retries=0, on_failure_callback=None)
        def fail_if_a_task_failed(dag_run=None, ti=None) -> None:
            # report runs whatever happened upstream, so without this leaf a failed task would leave
            # the run green; a rejected or missing extract is a skip, not a failure, and does not trip it.
            # It records the run's alert itself (the DAG callback then finds it recorded): a task can send
            # it and name the failed tasks, where the DAG processor may not reach the warehouse or channels
            on_run_failure(get_current_context(), _failed_tasks(ti, dag_run))
            raise AirflowFailException("a task of this run failed after its retries: see its log and alert")

        periode = prepare()
        registry = load_exclusions(periode)
        branches = kabkota.partial(periode=periode).expand(kode_kabkota=province.kabkota_codes)
        registry >> branches
        checked = integrity(periode)
        published = publish(periode)
        reported = report(periode)
        branches >> checked >> published >> reported
        asked = approval.trigger(province.kode)  # after a successful publish and report only
        [published, reported] >> asked
        [periode, registry, branches, checked, published, reported, asked] >> fail_if_a_task_failed()

    return pipeline

