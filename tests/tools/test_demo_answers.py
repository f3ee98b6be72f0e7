"""The demo's scripted approvals answer only after the scheduler has seen the approval task's pause.

Airflow 3.3.2 fails a human-in-the-loop task resumed before the scheduler drained the executor's event for
the worker's exit at the pause (apache/airflow#67287): ``wait_pause_seen`` reads the scheduler's log for it.
"""

from __future__ import annotations

import threading
import time

from tools.devstack import demo
from tools.devstack.stack import Stack

RUN_ID = "approval__2022-01__unlocked_2022_01"
LINE = (f"2026-12-03T03:29:26.8Z [info ] TaskInstance Finished: dag_id={demo.APPROVAL_DAG_ID}, task_id=approve, "
        f"run_id={RUN_ID}, map_index=-1, state=awaiting_input, executor_state=success\n")


def _stack(tmp_path) -> Stack:
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "scheduler.log").write_text("scheduler starting\n")
    return Stack(tmp_path, "postgresql://unused", "postgresql://unused", str(tmp_path / "data"), 0, {})


def test_it_waits_for_the_scheduler_to_log_the_pause(tmp_path):
    stack = _stack(tmp_path)

    def log_the_pause():
        time.sleep(0.3)
        with (tmp_path / "logs" / "scheduler.log").open("a") as f:
            f.write(LINE)

    writer = threading.Thread(target=log_the_pause)
    writer.start()
    assert demo.wait_pause_seen(stack, RUN_ID, "approve", timeout=30) is True
    assert LINE in (tmp_path / "logs" / "scheduler.log").read_text(), "returned before the pause was logged"
    writer.join()


def test_another_run_s_pause_does_not_count(tmp_path):
    stack = _stack(tmp_path)
    with (tmp_path / "logs" / "scheduler.log").open("a") as f:
        f.write(LINE.replace(RUN_ID, RUN_ID + "_other"))
    assert demo.wait_pause_seen(stack, RUN_ID, "approve", timeout=0.3) is False
