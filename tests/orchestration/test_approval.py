"""The approval DAG's steps without a scheduler (``bansos.orchestration.approval``), on a real PostgreSQL.

Two kab/kota of January 2022 are merged through the pipeline's steps; then the request the HITL operator shows,
an answer recorded as the operator hands it on, a month that needs no answer any more, an answer on figures
that changed since the request, and the alert of a month nobody answered. The scheduler's side (waiting in
``awaiting_input``, the REST answers, the timeout sweep) is in ``tests/e2e/``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from bansos import approve
from bansos.domain.handoff import Validated, from_xcom, to_xcom
from bansos.domain.privacy import FULL_IDENTIFIER
from bansos.orchestration import answers, approval, steps
from tests.conftest import pipeline_env
from tests.pipeline import land, query

PERIODE = "2022-01"
SENDERS = ("21.72", "21.01")


@pytest.fixture(scope="module")
def month(pg_base, tmp_path_factory, kepri2022):
    with pipeline_env(pg_base, tmp_path_factory, "orch_approval") as env:
        steps.prepare_warehouse("21")
        for kode in SENDERS:
            land(env.root, kepri2022, PERIODE, kode)
            ref = steps.stage(steps.extract("21", PERIODE, kode), "orch")
            steps.merge(to_xcom(Validated(**vars(from_xcom(ref)), warnings=())), "orch")
        yield env


def _answer(option: str, **params) -> dict:
    return {"chosen_options": [option], "params_input": {"held": [], "reason": "", "channel": "rest"} | params,
            "responded_by_user": {"id": "admin", "name": "admin"}, "responded_at": datetime.now(UTC)}


def test_the_request_holds_the_month_s_batches_and_a_markdown_body_without_identifiers(month):
    req = approval.build_request("21", PERIODE, run_id="approval__2022-01__manual__x")
    assert set(req["batch_ids"]) == set(SENDERS)
    assert "| 21.72 " in req["markdown"] and "| 21.01 " in req["markdown"]
    assert not FULL_IDENTIFIER.search(json.dumps(req))
    assert req["links"]["Draft report"].endswith("publish/21/2022/laporan.html")


def test_a_stale_answer_is_refused_then_an_approval_is_recorded_and_not_asked_again(month):
    req = approval.build_request("21", PERIODE)
    stale = req | {"batch_ids": {k: v + 1000 for k, v in req["batch_ids"].items()}}
    with pytest.raises(AirflowFailException, match="batches changed"):
        approval.record_answer("21", PERIODE, stale, _answer(answers.APPROVE_ALL), "run_stale")
    assert approve.history(month.dsn, "21", PERIODE) == []

    recorded = approval.record_answer("21", PERIODE, req, _answer(answers.APPROVE_ALL), "run_ok")
    assert (recorded["decision"], recorded["who"], recorded["source"]) == ("approved", "admin", "rest")
    assert sorted(recorded["batch_ids"]) == sorted(req["batch_ids"].values())
    assert approve.state(month.dsn, "21", PERIODE) == dict.fromkeys(SENDERS, ("final", True))
    with pytest.raises(AirflowSkipException, match="approved already"):
        approval.build_request("21", PERIODE)


def test_a_month_with_nothing_merged_is_not_asked(month):
    with pytest.raises(AirflowSkipException, match="nothing to approve"):
        approval.build_request("21", "2022-02")


def test_an_unanswered_month_is_alerted_and_stays_unrecorded(month):
    alert_id = approval.on_timeout("21", "2022-02", timedelta(hours=36), "approval__2022-02__r1")
    [(kind, payload)] = query(month.dsn, "SELECT kind, payload FROM dq.alert WHERE alert_id = %s", (alert_id,))
    assert kind == "approval_overdue"
    assert [r["rule"] for r in payload["rules"]] == ["approval_timeout"] and "36 jam" in payload["summary"]
    assert approve.history(month.dsn, "21", "2022-02") == []
