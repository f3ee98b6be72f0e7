"""The approval DAG of each province (issue 13), parsed with Airflow's own DagBag as the dag-processor would.

``bansos_approval_<kode>`` asks, waits, records and refreshes, in that order; its question is a real
``HITLOperator`` with the three answers, a form with the province's own kab/kota, the province's timeout and
no default answer (a timeout must never approve); the monthly DAG starts it at its end, without waiting for
it, under a run id made of the month and the monthly run.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bansos.domain.config import load_province
from bansos.orchestration import answers, approval, assets
from tests.dags.conftest import CODES


@pytest.mark.parametrize("code", CODES)
def test_the_approval_dag_asks_records_and_refreshes_in_order(dagbag, code):
    dag = dagbag.dags[f"bansos_approval_{code}"]
    assert not dag.timetable.can_be_scheduled, "started by the monthly runs (or by hand), never on a clock"
    order = [("request", "approve"), ("approve", "record"), ("request", "record"), ("record", "refresh")]
    for up, down in order:
        assert up in dag.get_task(down).upstream_task_ids, (up, down)
    assert {"periode", "response_timeout_seconds"} <= set(dag.params.keys())
    refresh = dag.get_task("refresh")
    assert [o.uri for o in refresh.outlets] == [assets.mart_asset(code).uri], "the publish DAG re-exports"
    assert dag.max_active_runs >= 12, "a backfilled year's months may all wait at once"


@pytest.mark.parametrize("code", CODES)
def test_the_question_has_three_answers_the_province_s_form_and_no_default(dagbag, code):
    from airflow.providers.standard.operators.hitl import HITLOperator

    ask = dagbag.dags[f"bansos_approval_{code}"].get_task("approve")
    assert isinstance(ask, HITLOperator)
    assert ask.options == list(answers.OPTIONS) and not ask.multiple
    assert ask.defaults is None, "a timeout must never approve"
    assert ask.retries == 0
    form = ask.serialized_params
    assert set(form) == {"held", "reason", "channel"}, "the DAG's own params are not part of the form"
    assert form["held"]["schema"]["items"]["enum"] == load_province(code).kabkota_codes
    assert form["channel"]["schema"]["enum"] == ["ui", "rest"]
    assert ask.response_timeout == approval.response_timeout(code)


@pytest.mark.parametrize("code", CODES)
def test_the_monthly_run_starts_the_month_s_approval_without_waiting(dagbag, code):
    from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator

    monthly = dagbag.dags[f"bansos_monthly_{code}"]
    start = monthly.get_task("request_approval")
    assert isinstance(start, TriggerDagRunOperator)
    assert start.trigger_dag_id == f"bansos_approval_{code}"
    assert not start.wait_for_completion, "the monthly run does not wait for a person"
    assert start.logical_date is None
    assert {"publish", "report"} <= start.upstream_task_ids
    assert "{{ run_id }}" in start.trigger_run_id and "prepare" in start.trigger_run_id
    assert "prepare" in start.conf["periode"]
    assert "request_approval" in monthly.get_task("fail_if_a_task_failed").upstream_task_ids


def test_an_approval_run_id_names_its_monthly_run():
    run_id = "approval__2022-03__backfill__2022-03-31T19:00:00+00:00"
    assert approval.monthly_run_of(run_id) == "backfill__2022-03-31T19:00:00+00:00"
    assert approval.monthly_run_of("manual__2026-12-01T00:00:00+00:00") is None


def test_answers_map_to_decisions_and_contradictions_are_refused():
    from airflow.sdk.exceptions import AirflowFailException

    def answer(option, **params):
        return {"chosen_options": [option], "params_input": params}

    assert approval.decision(answer(answers.APPROVE_ALL)) == ("approved", [], "", "ui")
    assert approval.decision(answer(answers.APPROVE_WITH_HELD, held=["21.05", "21.03", "21.05"], reason="x",
                                    channel="rest")) == ("approved_with_held", ["21.03", "21.05"], "x", "rest")
    assert approval.decision(answer(answers.REJECT, reason="angka salah"))[0] == "rejected"
    with pytest.raises(AirflowFailException):
        approval.decision(answer(answers.APPROVE_ALL, held=["21.05"]))
    with pytest.raises(AirflowFailException):
        approval.decision(answer(answers.APPROVE_WITH_HELD, held=[]))


def test_the_timeout_comes_from_the_run_then_the_environment_then_the_province(monkeypatch):
    monkeypatch.delenv("BANSOS_APPROVAL_TIMEOUT_SECONDS", raising=False)
    assert approval.response_timeout("21", 30) == timedelta(seconds=30)
    monkeypatch.setenv("BANSOS_APPROVAL_TIMEOUT_SECONDS", "45")
    assert approval.response_timeout("21") == timedelta(seconds=45)
    monkeypatch.delenv("BANSOS_APPROVAL_TIMEOUT_SECONDS")
    assert approval.response_timeout("21") == timedelta(hours=load_province("21").approval_timeout_hours)
    assert approval.describe(timedelta(days=7)) == "7 days"
    assert approval.describe(timedelta(seconds=90)) == "90 seconds"
