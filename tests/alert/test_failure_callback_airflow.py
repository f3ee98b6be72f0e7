"""``on_task_failure`` inside a real Airflow 3.3 task run, delivering to the real SMTP and HTTP receivers.

A small DAG (``dag.test()`` in a subprocess, SQLite metadata in a temporary AIRFLOW_HOME) maps a task
over two kab/kota; each attempt raises an error that quotes a raw NIK. With ``retries=1`` the callback
must fire once per task instance, after the second try, with the context Airflow really passes
(kab/kota set by the task, ``params``, ``ti.log_url``), and the alerts must carry no full NIK.
Another task sends a rejection from inside a task, which picks up that task's log link.
About 25 seconds: a metadata database migration and one DAG run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

from bansos.domain.privacy import FULL_IDENTIFIER

ROOT = Path(__file__).resolve().parents[2]

DAG = textwrap.dedent('''
    from datetime import timedelta

    import pendulum
    from airflow.sdk import dag, get_current_context, task

    from bansos.alert import on_task_failure, rejected_alert, send_alert
    from bansos.domain.outcome import RuleOutcome


    @dag(dag_id="bansos_monthly_21", schedule=None, start_date=pendulum.datetime(2022, 1, 1),
         default_args={"owner": "test", "retries": 1, "retry_delay": timedelta(seconds=1),
                       "on_failure_callback": on_task_failure},
         params={"periode": "2022-03"})
    def failing():
        @task(map_index_template="{{ kabkota }}")
        def validate(kode_kabkota: str):
            get_current_context()["kabkota"] = kode_kabkota
            raise ValueError("row 12: NIK 2171015505800002 could not be parsed")

        @task
        def reject():
            ref = {"province": "21", "periode": "2022-03", "kode_kabkota": "21.02",
                   "file_name": "karimun.csv"}
            reasons = [{"rule": "nik_format", "severity": "error", "count": 2, "description": "NIK 16 digit.",
                        "examples": [{"source_line": 9, "nik_masked": "2102********0004"}]}]
            return send_alert(rejected_alert(ref, [RuleOutcome.from_dict(r) for r in reasons]))

        validate.expand(kode_kabkota=["21.71", "21.04"])
        reject()


    the_dag = failing()

    if __name__ == "__main__":
        the_dag.test()
''')


def run_logged(args: list[str], env: dict, log: Path) -> None:
    with open(log, "ab") as out:
        subprocess.run(args, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                       check=True, timeout=300)


def dag_test(tmp_path: Path, dag_source: str, **env: str) -> Path:
    """Run ``dag_source`` with ``dag.test()`` in a fresh Airflow home (its own process, real task runs);
    returns the log of ``airflow db migrate`` and the run."""
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "failing.py").write_text(dag_source, encoding="utf-8")
    env = dict(os.environ) | {
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
    } | env
    log = tmp_path / "airflow.log"
    run_logged([str(Path(sys.executable).with_name("airflow")), "db", "migrate"], env, log)
    run_logged([sys.executable, str(dags / "failing.py")], env, log)
    return log


def test_failure_callback_in_a_real_task_run(alert_connections, tmp_path):
    mailbox, receiver = alert_connections
    log = dag_test(tmp_path, DAG, AIRFLOW__API__BASE_URL="http://airflow.dinsos.localhost:8080")

    messages = {m["Subject"]: m for m in mailbox.messages()}
    assert sorted(messages) == [
        "[bansos 21] DITOLAK: 21.02 Kabupaten Karimun, periode 2022-03 - nik_format (2)",
        "[bansos 21] TASK GAGAL: 21.04 Kabupaten Lingga, periode 2022-03",
        "[bansos 21] TASK GAGAL: 21.71 Kota Batam, periode 2022-03",
    ], log.read_text()[-3000:]
    rejected = messages.pop(min(messages)).get_body(("plain",)).get_content()
    assert "baris 9: nik_masked=2102********0004" in rejected
    # rejected_alert adds the log of the task it runs in
    assert "Airflow log: http://airflow.dinsos.localhost:8080/dags/bansos_monthly_21/runs/" in rejected
    assert "/tasks/reject?try_number=1" in rejected
    for message in messages.values():
        text = message.get_body(("plain",)).get_content()
        assert "ValueError: row 12: NIK 2171********0002 could not be parsed" in text
        assert "Percobaan (try): 2" in text  # after the retry, not on it
        assert re.search(r"http://airflow\.dinsos\.localhost:8080/dags/bansos_monthly_21/runs/\S+"
                         r"/tasks/validate/mapped/[01]\?try_number=2", text)
        assert not FULL_IDENTIFIER.search(text)
    payloads = [json.loads(r["body"]) for r in receiver.requests]
    assert len(payloads) == 3
    assert all(not FULL_IDENTIFIER.search(json.dumps(p)) for p in payloads)
