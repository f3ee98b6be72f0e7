"""One kab/kota-month of 1,000,000 rows through the same branch as the DAG, next to a bare COPY.

Runs extract (archive + checksum), stage (COPY + checked table), validate (the GX suite inside
PostgreSQL) and merge (pseudonymise + atomic replace) on an embedded PostgreSQL, each in a fresh
child process so its peak memory (max RSS) is its own, for two sizes, and prints seconds, the
ratio to a bare ``COPY ... FROM STDIN`` of the same file, and peak memory. Memory that does not
grow with the row count is what "bounded" means here. Usage:

    PYTHONPATH=. .venv/bin/python benchmarks/million_rows.py [--rows 1000000] [--small 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROVINCE, KABKOTA, PERIODE = "21", "21.71", "2022-12"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(step: str, dsn: str, root: str, key: str) -> None:
    """Run one step in this (fresh) process and print its timing as JSON."""
    os.environ.update({"BANSOS_WAREHOUSE_URL": dsn, "BANSOS_DATA_ROOT": root, "BANSOS_PSEUDONYM_KEY": key})
    from bansos.orchestration import steps

    state = Path(root.removeprefix("file://")) / "bench_state.json"
    ref = json.loads(state.read_text()) if state.exists() else None
    baseline = _peak_mb()
    started = time.perf_counter()
    if step == "extract":
        ref = steps.extract(PROVINCE, PERIODE, KABKOTA)
    elif step == "stage":
        ref = steps.stage(ref, "benchmark")
    elif step == "validate":
        ref = steps.validate(ref, "benchmark")
    elif step == "merge":
        ref = ref | steps.merge(ref, "benchmark")
    elif step == "copy":
        import psycopg2

        path = next((Path(root.removeprefix("file://")) / "landing").rglob("*.csv"))
        with psycopg2.connect(dsn) as conn, conn.cursor() as cur, open(path, "rb") as fh:
            cur.execute(
                "DROP TABLE IF EXISTS bare_copy; CREATE UNLOGGED TABLE bare_copy ("
                + ", ".join(f"c{i} text" for i in range(16))
                + ")"
            )
            cur.copy_expert("COPY bare_copy FROM STDIN WITH (FORMAT csv, HEADER true)", fh)
            cur.execute("DROP TABLE bare_copy")
    seconds = time.perf_counter() - started
    if step != "copy":
        state.write_text(json.dumps(ref, default=str))
    print(
        json.dumps(
            {
                "step": step,
                "seconds": seconds,
                "peak_mb": _peak_mb(),
                "baseline_mb": baseline,
                "action": (ref or {}).get("action"),
            }
        )
    )


def run_size(rows: int, base_uri: str, workdir: Path) -> list[dict]:
    from bansos.domain.config import load_province
    from bansos.warehouse import reference
    from bansos.warehouse.database import migrate
    from tools.devstack import postgres
    from tools.synthetic import write_bulk_extract

    dsn = postgres.ensure_database(base_uri, f"bench_{rows}")
    migrate(dsn)
    reference.sync(dsn, load_province(PROVINCE))
    root = workdir / f"rows_{rows}"
    t = time.perf_counter()
    path = write_bulk_extract(root / "landing", KABKOTA, PERIODE, rows)
    print(
        f"generated {rows:,} rows ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.1f} s",
        flush=True,
    )
    results = []
    for step in ("copy", "extract", "stage", "validate", "merge"):
        out = subprocess.run(
            [sys.executable, __file__, "--child", step, dsn, root.as_uri(), "benchmark-key-" + "x" * 32],
            check=True,
            capture_output=True,
            text=True,
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        results.append(result)
        print(f"  {step:<9} {result['seconds']:7.1f} s   peak {result['peak_mb']:6.0f} MB", flush=True)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--child", nargs=4, metavar=("STEP", "DSN", "ROOT", "KEY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return 0
    from tools.devstack import postgres

    with tempfile.TemporaryDirectory(prefix="bansos-bench-") as tmp:
        workdir = Path(tmp)
        base = postgres.start(workdir / "pg")
        try:
            table = {n: run_size(n, base, workdir) for n in (args.small, args.rows)}
        finally:
            postgres.stop(workdir / "pg")
    print()
    print(f"{'step':<10}" + "".join(f"{f'{n:,} rows':>28}" for n in table))
    print(f"{'':<10}" + "".join(f"{'s':>9}{'x COPY':>9}{'peak MB':>10}" for _ in table))
    for i, step in enumerate(("copy", "extract", "stage", "validate", "merge")):
        line = f"{step:<10}"
        for _n, results in table.items():
            r, copy = results[i], results[0]["seconds"]
            line += f"{r['seconds']:9.1f}{r['seconds'] / copy:9.1f}{r['peak_mb']:10.0f}"
        print(line)
    for n, results in table.items():
        branch = sum(r["seconds"] for r in results[1:])
        print(f"branch total, {n:,} rows: {branch:.1f} s = {branch / results[0]['seconds']:.1f} x bare COPY")
    return 0


if __name__ == "__main__":
    sys.exit(main())
