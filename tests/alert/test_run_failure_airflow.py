"""``on_run_failure`` as a real Airflow 3.3 DAG-level callback, beside the leaf task that calls it too.

A small DAG (``dag.test()`` in a subprocess, SQLite metadata in a temporary AIRFLOW_HOME) runs a task
that fails (its task callback records a ``task_failed`` alert) and a ``fail_if_a_task_failed`` leaf,
as the monthly DAG has, which calls ``on_run_failure`` with the run's failed tasks; Airflow then calls
the DAG's ``on_failure_callback`` (the same function) with the context it builds for DAG callbacks.
The ledger in a real PostgreSQL must hold one ``run_failed`` alert for the run, sent once to the real
SMTP server and webhook receiver, naming the failed task. About 25 seconds.
"""

from __future__ import annotations

import textwrap

from tests.alert.test_failure_callback_airflow import dag_test
from tests.pipeline import query

DAG = textwrap.dedent('''
    import pendulum
    from airflow.sdk import TriggerRule, dag, get_current_context, task
    from airflow.sdk.exceptions import AirflowFailException

    from bansos.alert import on_run_failure, on_task_failure


    @dag(dag_id="bansos_monthly_21", schedule=None, start_date=pendulum.datetime(2022, 1, 1),
         default_args={"owner": "test", "retries": 0, "on_failure_callback": on_task_failure},
         on_failure_callback=on_run_failure, params={"periode": "2022-03"})
    def failing():
        @task
        def merge():
            raise RuntimeError("merge failed")

        @task(trigger_rule=TriggerRule.ONE_FAILED, on_failure_callback=None)
        def fail_if_a_task_failed(dag_run=None, ti=None):
            states = ti.get_task_states(dag_id=dag_run.dag_id, run_ids=[dag_run.run_id])[dag_run.run_id]
            on_run_failure(get_current_context(), sorted(t for t, s in states.items() if s == "failed"))
            raise AirflowFailException("a task of this run failed")

        merge() >> fail_if_a_task_failed()


    the_dag = failing()

    if __name__ == "__main__":
        the_dag.test()
''')


def test_a_failed_run_alerts_once_through_the_leaf_and_the_dag_callback(alert_connections, warehouse, tmp_path):
    mailbox, receiver = alert_connections
    log = dag_test(tmp_path, DAG, BANSOS_WAREHOUSE_URL=warehouse)

    alerts = query(warehouse, "SELECT kind, dedup_key, payload->'details' FROM dq.alert ORDER BY alert_id")
    assert [kind for kind, _, _ in alerts] == ["task_failed", "run_failed"], log.read_text()[-3000:]
    run_alert = alerts[1]
    assert run_alert[1].startswith("run_failed:bansos_monthly_21:manual__")
    assert "Task gagal (failed tasks): merge" in run_alert[2]
    output = log.read_text()
    assert "Executing on_failure dag callback: on_run_failure" in output, "no DAG callback: the test proves nothing"
    assert "already recorded (run_failed:bansos_monthly_21:manual__" in output
    subjects = sorted(m["Subject"].strip() for m in mailbox.messages())
    assert subjects == ["[bansos 21] RUN GAGAL: seluruh provinsi, periode 2022-03",
                        "[bansos 21] TASK GAGAL: seluruh provinsi, periode 2022-03"]
    assert len(receiver.requests) == 2
    assert query(warehouse, "SELECT count(*) FROM dq.alert_delivery WHERE delivered_at IS NULL") == [(0,)]
