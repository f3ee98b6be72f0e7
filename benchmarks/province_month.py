"""A province month through the real Airflow scheduler: 38 kab/kota of 20,000 rows (issue 14, item 3).

``PYTHONPATH=src:. .venv/bin/python -m benchmarks.province_month`` (``make benchmark-province``) starts a
stack of its own with ``tools.devstack`` in ``.bench-province/`` (the embedded PostgreSQL, Airflow's
scheduler, dag-processor, api-server and triggerer on the LocalExecutor, as ``make demo`` runs them), on
the synthetic 38-kab/kota province of ``benchmarks/province/`` (Jawa Timur's real kab/kota codes, Kepri's
catalogue; a DAGs folder of its own, so the stack parses nothing else). It lands one bulk extract per
kab/kota and month (``tools.synthetic`` bulk mode: the JAMSOS/BSKK/UEP mix, and JAMSOS alone in the later
months of ``--months``, whose households repeat), migrates the warehouse, triggers ``bansos_monthly_35`` for each
month through REST API v2, one month after the other, waits for the run, and reads its task instances back
through the API. Per run it reports:

- **wall**: from the trigger request to the run's ``end_date``;
- **task instances**, and those that ran in a task process (not the leaf the scheduler skips);
- **Airflow overhead per task instance**: each TI that ran is *ready* when its last upstream TI ended (the
  same map index inside a kab/kota branch, every TI of a mapped upstream otherwise; the run's
  ``start_date`` for the first task) and waits until its ``start_date``. Part of that wait is a full
  executor (``[core] parallelism`` slots, 8, all running other TIs): that is the work queueing, not
  overhead. The overhead is the rest: the seconds, summed over TIs and divided by their number, that a
  ready TI waited *while a slot was free* (the scheduler to see it, the executor to take it, its process
  to start until the task runner reports it running). Also reported: the whole wait ``start - ready``
  (mean, median, and split at ``queued_when`` into ready -> queued and queued -> start) and
  ``(slots x run time - sum of TI durations) / TIs``;
- the work: the sum and medians of TI durations by task; durations include each task process's own start
  (parse of the DAG file, execution-API calls), shown by the near-empty ``request_approval`` task;
- CPU seconds of the stack's processes (the Airflow components with every task process they ran, and the
  PostgreSQL server) and of the whole machine (``/proc/stat``) during the run, with the load average: the
  machine is shared.

Results go to ``benchmarks/results/province_<UTC time>.json``. The stack is stopped at the end
(``--keep-running`` leaves it up, with its UI; ``--keep`` reuses ``.bench-province/`` as it is).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from bansos.domain import dags
from tools import PROJECT_ROOT

PROVINCE = "35"
CONFIG_DIR = PROJECT_ROOT / "benchmarks" / "province"
DAGS_DIR = CONFIG_DIR / "dags"
STATE_DIR = PROJECT_ROOT / ".bench-province"
RESULTS_DIR = PROJECT_ROOT / "benchmarks" / "results"
DAG_ID = dags.monthly(PROVINCE)
APPROVAL_DAG_ID = dags.approval(PROVINCE)
RAN = ("success", "failed")


def ran(ti: dict) -> bool:
    """The TI ran in a task process: succeeded, failed, or skipped itself (a branch whose file was rejected
    skips its validate after validating); a TI the scheduler skipped never had a host."""
    return ti["state"] in RAN or (ti["state"] == "skipped" and bool(ti.get("hostname")))


def _instant(iso: str | None) -> float | None:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() if iso else None


# ---------------------------------------------------------------------------------------------- the data


def land(data_dir: Path, periode: str, rows: int, seed: int, programme: str | None = None) -> dict:
    """One bulk extract of ``rows`` rows per kab/kota of the province into ``<data>/landing`` (``programme``:
    only that one, else the bulk mix of JAMSOS, BSKK and UEP)."""
    from bansos.domain.config import load_province
    from tools.synthetic.bulk import iter_bulk_rows
    from tools.synthetic.layout import extract_path
    from tools.synthetic.writer import write_csv

    province = load_province(PROVINCE, CONFIG_DIR)
    started, total, size = time.monotonic(), 0, 0
    for kabkota in province.kabkota:
        path = extract_path(data_dir / "landing", province.kode, kabkota, periode)
        if not path.exists():
            write_csv(path, iter_bulk_rows(province, kabkota.kode, periode, rows, seed=seed, programme=programme))
        total += rows
        size += path.stat().st_size
    return {"files": len(province.kabkota), "rows": total, "bytes": size, "seconds": time.monotonic() - started}


# --------------------------------------------------------------------------------------- the measurement


def free_slot_wait(spans: list[tuple[float, float, float]], slots: int) -> float:
    """Seconds, summed over TIs, that a ready TI waited while one of ``slots`` executor slots was free.

    ``spans`` are (ready, start, end) per TI. At each instant, ``waiting`` TIs are ready and not started and
    ``running`` TIs run; min(waiting, slots - running) of the waits are not explained by a full executor.
    """
    times = sorted({t for span in spans for t in span})
    total = 0.0
    for a, b in zip(times, times[1:], strict=False):
        mid = (a + b) / 2
        waiting = sum(1 for ready, start, _ in spans if ready <= mid < start)
        running = sum(1 for _, start, end in spans if start <= mid < end)
        total += min(waiting, max(0, slots - running)) * (b - a)
    return total


def overhead(tis: list[dict], tasks: list[dict], run: dict, slots: int = 8) -> dict:
    """Per TI that ran: ``start - ready`` (ready = its upstream TIs' last end), and its parts; the part of those
    waits during which an executor slot was free; see the module."""
    upstream: dict[str, list[str]] = defaultdict(list)
    mapped = {t["task_id"]: bool(t.get("is_mapped")) for t in tasks}
    for t in tasks:
        for down in t.get("downstream_task_ids") or []:
            upstream[down].append(t["task_id"])
    by_task: dict[str, list[dict]] = defaultdict(list)
    for ti in tis:
        by_task[ti["task_id"]].append(ti)
    run_start = _instant(run.get("start_date"))
    gaps, parts = [], {"ready_to_queued": [], "queued_to_start": []}
    per_ti, spans = [], []
    for ti in tis:
        if not ran(ti) or not ti.get("start_date"):
            continue
        ends = []
        for up in upstream.get(ti["task_id"], []):
            same = mapped.get(up) and ti["map_index"] >= 0
            ends += [_instant(u.get("end_date")) for u in by_task.get(up, [])
                     if not same or u["map_index"] == ti["map_index"]]
        ends = [e for e in ends if e is not None]
        ready = max(ends) if ends else run_start
        start = _instant(ti["start_date"])
        if ready is None:
            continue
        gap = start - ready
        gaps.append(gap)
        queued = _instant(ti.get("queued_when"))
        if queued:  # (scheduled_when is set when a mapped TI is created, before its upstream ends)
            parts["ready_to_queued"].append(queued - ready)
            parts["queued_to_start"].append(start - queued)
        per_ti.append({"task": ti["task_id"], "map_index": ti["map_index"], "gap": round(gap, 3),
                       "duration": ti.get("duration")})
        spans.append((ready, start, _instant(ti["end_date"]) or start))
    free_wait = free_slot_wait(spans, slots)
    return {
        "tis": len(gaps),
        "gap_sum": sum(gaps),
        "gap_mean": statistics.fmean(gaps) if gaps else None,
        "gap_median": statistics.median(gaps) if gaps else None,
        "gap_max": max(gaps) if gaps else None,
        "slots": slots,
        "free_slot_wait_sum": free_wait,
        "free_slot_wait_per_ti": free_wait / len(gaps) if gaps else None,
        "parts_median": {k: statistics.median(v) if v else None for k, v in parts.items()},
        "parts_mean": {k: statistics.fmean(v) if v else None for k, v in parts.items()},
        "per_ti": per_ti,
    }


def durations(tis: list[dict]) -> dict:
    """Sum of TI durations, and per task the count, median and sum."""
    by_task: dict[str, list[float]] = defaultdict(list)
    for ti in tis:
        if ran(ti) and ti.get("duration") is not None:
            by_task[ti["task_id"]].append(ti["duration"])
    return {
        "sum": sum(sum(v) for v in by_task.values()),
        "by_task": {
            k: {"n": len(v), "median": statistics.median(v), "sum": sum(v)} for k, v in sorted(by_task.items())
        },
    }


def _machine_busy() -> float:
    """CPU seconds the whole machine spent busy since boot (all cores; /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _tree_cpu(pids) -> float:
    """CPU seconds of the processes ``pids`` and all their descendants, reaped children included."""
    import psutil

    total, seen = 0.0, set()
    for pid in pids:
        try:
            root = psutil.Process(pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
        for p in procs:
            if p.pid in seen:
                continue
            seen.add(p.pid)
            try:
                t = p.cpu_times()
                total += t.user + t.system + t.children_user + t.children_system
            except psutil.NoSuchProcess:
                pass
    return total


def _postmaster(state_dir: Path) -> int | None:
    pid_file = state_dir / "pgdata" / "postmaster.pid"
    return int(pid_file.read_text().split()[0]) if pid_file.exists() else None


def cpu_snapshot(state_dir: Path) -> dict:
    from tools.devstack import airflow

    components = airflow.running(state_dir)
    pg = _postmaster(state_dir)
    return {
        "airflow": _tree_cpu(components.values()),
        "components": {name: _tree_cpu([pid]) for name, pid in components.items()},
        "postgres": _tree_cpu([pg] if pg else []),
        "machine": _machine_busy(),
        "load": list(os.getloadavg()),
    }


# ---------------------------------------------------------------------------------------------- the stack


def configure_stack(state_dir: Path):
    """The benchmark's stack: its own state, data root, port, DAGs folder and province folder."""
    from tools.devstack import airflow
    from tools.devstack import stack as stack_mod

    port_file = state_dir / "airflow.port"
    port = None if port_file.exists() else airflow.free_port()
    st = stack_mod.configure(
        state_dir,
        port=port,
        data_root=(state_dir / "data").as_uri(),
        extra={"BANSOS_PROVINCES_DIR": str(CONFIG_DIR), "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_DIR)},
    )
    # the province's DAG file imports the wiring modules of dags/
    st.env["PYTHONPATH"] = os.pathsep.join([st.env["PYTHONPATH"], str(PROJECT_ROOT / "dags")])
    return st


def prepare_warehouse(st) -> None:
    """Migrations, roles and reference data before the clock starts, as on a deployed warehouse."""
    subprocess.run(
        [sys.executable, "-c", f"from bansos.orchestration import steps; steps.prepare_warehouse({PROVINCE!r})"],
        env=st.env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600,
    )


def task_instances(api, run_id: str) -> list[dict]:
    """Every TI of the run (the API returns at most ``[api] maximum_page_limit``, 100, a page)."""
    out: list[dict] = []
    while True:
        page = api.get(f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances", limit=100, offset=len(out))
        out += page["task_instances"]
        if not page["task_instances"] or len(out) >= page["total_entries"]:
            return out


def run_month(st, periode: str, timeout: float) -> dict:
    """Trigger the province's monthly run for ``periode``, wait for it, and measure it."""
    api = st.api()
    run_id = f"bench_{periode.replace('-', '_')}_{datetime.now(UTC):%H%M%S}"
    before = cpu_snapshot(st.state_dir)
    triggered = time.time()
    api.trigger(DAG_ID, conf={"periode": periode}, run_id=run_id)
    run = api.wait_run(DAG_ID, run_id, timeout=timeout)
    seen = time.time()
    after = cpu_snapshot(st.state_dir)
    tis = task_instances(api, run_id)
    tasks = api.get(f"/dags/{DAG_ID}/tasks")["tasks"]
    end = _instant(run["end_date"])
    last_ti_end = max((_instant(t["end_date"]) for t in tis if t.get("end_date")), default=None)
    states: dict[str, int] = defaultdict(int)
    for ti in tis:
        states[ti["state"]] += 1
    slots = min(int(st.env.get("AIRFLOW__CORE__PARALLELISM", 32)),
                int(st.env.get("AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG", 16)))
    gaps = overhead(tis, tasks, run, slots)
    work = durations(tis)
    return {
        "periode": periode,
        "run_id": run_id,
        "state": run["state"],
        "wall": end - triggered,
        "trigger_to_run_start": _instant(run["start_date"]) - triggered,
        "last_ti_end_to_run_end": end - last_ti_end if last_ti_end else None,
        "seen_after_end": seen - end,
        "task_instances": sum(states.values()),
        "task_instances_ran": gaps["tis"],
        "ti_states": dict(states),
        "overhead_per_ti": gaps["free_slot_wait_per_ti"],
        "wait_per_ti": gaps["gap_mean"],
        "slot_idle_per_ti": (slots * (end - _instant(run["start_date"])) - work["sum"]) / max(1, gaps["tis"]),
        "overhead": {k: v for k, v in gaps.items() if k != "per_ti"},
        "durations": work,
        "cpu": {
            "airflow": after["airflow"] - before["airflow"],
            "postgres": after["postgres"] - before["postgres"],
            "machine": after["machine"] - before["machine"],
            "components": {k: v - before["components"].get(k, 0.0) for k, v in after["components"].items()},
        },
        "load_before": before["load"],
        "load_after": after["load"],
        "per_ti": gaps["per_ti"],
    }


def summary(m: dict) -> str:
    d = m["durations"]["by_task"]
    parts = m["overhead"]["parts_median"]
    lines = [
        f"{m['periode']} ({m['run_id']}): {m['state']}, wall {m['wall']:.1f} s (trigger -> run end), "
        f"{m['task_instances']} task instances ({', '.join(f'{n} {s}' for s, n in sorted(m['ti_states'].items()))})",
        f"  Airflow overhead per TI (waiting while ready and a slot of {m['overhead']['slots']} free, mean of "
        f"{m['task_instances_ran']}): {m['overhead_per_ti']:.2f} s; all waits start - upstream end: mean "
        f"{m['wait_per_ti']:.2f} s, median {m['overhead']['gap_median']:.2f} s (medians ready->queued "
        f"{_f(parts['ready_to_queued'])}, queued->start {_f(parts['queued_to_start'])}); "
        f"(slots x wall - sum of durations) / TIs {m['slot_idle_per_ti']:.2f} s",
        f"  trigger -> run start {m['trigger_to_run_start']:.1f} s; last TI end -> run end "
        f"{_f(m['last_ti_end_to_run_end'])}",
        f"  TI durations: sum {m['durations']['sum']:.0f} s; medians "
        + ", ".join(f"{k.split('.')[-1]} {v['median']:.1f} s (x{v['n']})" for k, v in d.items()),
        f"  CPU s: Airflow + tasks {m['cpu']['airflow']:.0f} ("
        + ", ".join(f"{k} {v:.0f}" for k, v in m["cpu"]["components"].items())
        + f"), PostgreSQL {m['cpu']['postgres']:.0f}, whole machine "
        f"{m['cpu']['machine']:.0f} (2 cores x wall = {2 * m['wall']:.0f}); load {m['load_before'][0]:.1f} -> "
        f"{m['load_after'][0]:.1f}",
    ]
    return "\n".join(lines)


def _f(x) -> str:
    return "-" if x is None else f"{x:.2f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.province_month", description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=20_000, help="rows per kab/kota extract (default 20,000)")
    parser.add_argument("--months", default="2022-11",
                        help="comma-separated months, run one after the other on the same stack (default 2022-11)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait for one run")
    parser.add_argument("--state", type=Path, default=STATE_DIR, help="the stack's folder (default .bench-province)")
    parser.add_argument("--keep", action="store_true", help="reuse the state folder as it is (default: start afresh)")
    parser.add_argument("--keep-running", action="store_true", help="leave the stack up at the end")
    parser.add_argument("--out", type=Path, help="JSON file (default benchmarks/results/province_<UTC time>.json)")
    args = parser.parse_args(argv)
    months = [m.strip() for m in args.months.split(",") if m.strip()]

    from tools.devstack import stack as stack_mod

    state = args.state.resolve()
    if not args.keep and state.exists():
        stack_mod.down(state)
        shutil.rmtree(state)
    state.mkdir(parents=True, exist_ok=True)
    result: dict = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_at_start": os.getloadavg()},
        "rows_per_kabkota": args.rows,
        "landing": {},
        "runs": [],
    }
    for i, periode in enumerate(months):
        # the bulk generator's households repeat from month to month (a small serial space), so a later month
        # of the mix would break BSKK's and UEP's once-a-year rules and be rejected: later months pay JAMSOS
        result["landing"][periode] = landed = land(state / "data", periode, args.rows, args.seed,
                                                   None if i == 0 else "JAMSOS")
        print(f"landed {periode}: {landed['files']} files, {landed['rows']:,} rows, {landed['bytes'] / 1e6:.0f} MB "
              f"in {landed['seconds']:.0f} s", flush=True)
    st = configure_stack(state)
    try:
        t0 = time.monotonic()
        stack_mod.up(st)
        prepare_warehouse(st)
        api = st.api()
        api.wait_for_dag(DAG_ID)
        api.patch(f"/dags/{DAG_ID}", {"is_paused": False})
        result["stack_start_seconds"] = time.monotonic() - t0
        print(f"stack up and warehouse migrated in {result['stack_start_seconds']:.0f} s (not measured below)",
              flush=True)
        for periode in months:
            measured = run_month(st, periode, args.timeout)
            result["runs"].append(measured)
            print(summary(measured), flush=True)
    finally:
        if not args.keep_running:
            stack_mod.down(state)
    result["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    out = args.out or RESULTS_DIR / f"province_{datetime.now(UTC):%Y-%m-%dT%H%M%SZ}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"results: {out}")
    return 0 if all(r["state"] == "success" for r in result["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
