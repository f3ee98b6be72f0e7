"""The DAG ids: the names the DAG files give their DAGs are the ones links, triggers and the demo use."""

from __future__ import annotations

from bansos.domain import dags


def test_each_province_s_three_dag_ids():
    assert (dags.monthly("21"), dags.publish("21"), dags.approval("21")) == (
        "bansos_monthly_21",
        "bansos_publish_21",
        "bansos_approval_21",
    )
