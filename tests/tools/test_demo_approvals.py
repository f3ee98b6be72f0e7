"""The demo's approvals: one way to find the waiting requests, and months answered as they come.

``waiting_by_key`` is what every wait for an approval request reads (``AirflowAPI.hitl_waiting`` and
``wait_hitl_waiting``: by run id for the end-to-end tests, by month for the demo); ``answerable`` decides
which months the demo answers while the backfill still runs (a request answered before the scheduler saw
its pause fails the approval: tests/tools/test_demo_answers.py). Both are fed what REST API v2's
``hitlDetails`` returns.
"""

from __future__ import annotations

from tools.devstack import demo
from tools.devstack.api import waiting_by_key


def _detail(run_id: str, state: str = "awaiting_input") -> dict:
    return {"task_instance": {"dag_run_id": run_id, "state": state, "task_id": "approve"}, "response_received": False}


def _approval(periode: str, monthly: str = "backfill__x") -> str:
    return f"approval__{periode}__{monthly}"


def test_only_requests_awaiting_input_count():
    details = [_detail(_approval("2022-01")), _detail(_approval("2022-02"), state="deferred"),
               _detail(_approval("2022-03"), state="running")]
    assert list(waiting_by_key(details)) == [_approval("2022-01")]


def test_by_month_the_first_listed_request_of_a_month_is_taken_and_other_runs_are_left_out():
    details = [_detail("manual__2022-05-01"), _detail(_approval("2022-06", "a")), _detail(_approval("2022-06", "b")),
               _detail(_approval("2022-07"))]
    found = waiting_by_key(details, key=demo.periode_of)
    assert sorted(found) == ["2022-06", "2022-07"]
    assert found["2022-06"]["task_instance"]["dag_run_id"] == _approval("2022-06", "a")


def test_by_run_id_only_the_runs_asked_for():
    details = [_detail(_approval("2022-01")), _detail(_approval("2022-02"))]
    assert list(waiting_by_key(details, run_ids={_approval("2022-02")})) == [_approval("2022-02")]


def test_the_months_whose_requests_wait_are_answered_in_order():
    pending = ["2022-01", "2022-02", "2022-03", "2022-04"]
    waiting = {p: _approval(p) for p in ("2022-04", "2022-02", "2022-05")}
    assert demo.answerable(pending, waiting, seen=lambda run_id: True) == ["2022-02", "2022-04"]


def test_a_request_whose_pause_the_scheduler_has_not_seen_waits():
    pending = ["2022-01", "2022-02"]
    waiting = {p: _approval(p) for p in pending}
    assert demo.answerable(pending, waiting, seen=lambda run_id: run_id != _approval("2022-01")) == ["2022-02"]
    assert demo.answerable(pending, waiting, seen=lambda run_id: False) == []
