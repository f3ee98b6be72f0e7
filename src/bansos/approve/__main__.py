"""Unlock an approved month and read the approval history from a shell: ``python -m bansos.approve``.

Why a command: unlocking signed figures is an explicit act by a named person with a reason (issue 13), and a
data engineer on the warehouse host needs it without the Airflow UI. The unlock is recorded through
:func:`bansos.approve.unlock` (source ``cli``), like one from the REST side; the command then says what it
released, which corrections are held for the month, and the next step (re-run the month). It prints codes,
batch ids and counts only: no NIK, No KK, name or file name.

    python -m bansos.approve unlock --province 21 --periode 2022-12 [--kabkota 21.71] --reason "..." --who NAME
    python -m bansos.approve history --province 21 [--periode 2022-12]
"""

from __future__ import annotations

import argparse
import sys

from bansos.approve.decision import NotLocked, held_submissions, province_history, unlock
from bansos.warehouse import runtime


def _unlock(args) -> int:
    dsn = runtime.warehouse_dsn()
    try:
        row = unlock(dsn, args.province, args.periode, args.kabkota, reason=args.reason, who=args.who,
                     source="cli")
    except NotLocked as exc:
        print(f"nothing unlocked: {exc}", file=sys.stderr)
        return 2
    where = f"{args.province} {args.periode}" + (f" {args.kabkota}" if args.kabkota else " (every kab/kota)")
    print(f"unlocked {where}: approval row {row.approval_id} at {row.decided_at:%Y-%m-%d %H:%M:%S %Z}, "
          f"by {args.who}")
    print(f"released batches (provisional again): {', '.join(map(str, row.batch_ids))}")
    held = held_submissions(dsn, args.province, args.periode, args.kabkota)
    if held:
        print("held corrections, merged by the next run of the month:")
        for h in held:
            print(f"  {h['kode_kabkota']}  submission {h['submission_id']}  {h['row_count'] or 0:,} rows")
    else:
        print("no correction is held for this month")
    print(f"next: re-run the month {args.periode} (its branches merge what is held); the month then needs a new "
          "approval")
    return 0


def _history(args) -> int:
    rows = province_history(runtime.warehouse_dsn(), args.province, args.periode)
    if not rows:
        print(f"no approval history for {args.province}" + (f" {args.periode}" if args.periode else ""))
        return 0
    print(f"{'id':>5}  {'periode':<7}  {'decision':<18}  {'kab/kota':<8}  {'decided_at (UTC)':<19}  "
          f"{'by':<16}  {'via':<4}  batches / held / reason")
    for r in rows:
        extra = [f"batches {','.join(map(str, r['batch_ids']))}" if r["batch_ids"] else "batches -"]
        if r["held"]:
            extra.append(f"held {','.join(r['held'])}")
        if r["reason"]:
            extra.append(f"reason: {r['reason']}")
        print(f"{r['approval_id']:>5}  {r['periode']:<7}  {r['decision']:<18}  {r['kode_kabkota'] or '-':<8}  "
              f"{r['decided_at']:%Y-%m-%d %H:%M:%S}  {r['decided_by']:<16}  {r['source']:<4}  {'; '.join(extra)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bansos.approve",
                                     description="Unlock an approved month; print the approval history.")
    sub = parser.add_subparsers(dest="command", required=True)
    un = sub.add_parser("unlock", help="unlock an approved month (or one kab/kota of it), with a reason")
    un.add_argument("--province", required=True, help="Kemendagri code, e.g. 21")
    un.add_argument("--periode", required=True, help="YYYY-MM")
    un.add_argument("--kabkota", default=None, help="one kab/kota code, e.g. 21.71 (default: every kab/kota)")
    un.add_argument("--reason", required=True, help="why the approved figures are opened again")
    un.add_argument("--who", required=True, help="who unlocks (recorded)")
    un.set_defaults(run=_unlock)
    hist = sub.add_parser("history", help="print the approval history rows")
    hist.add_argument("--province", required=True)
    hist.add_argument("--periode", default=None, help="YYYY-MM (default: every month)")
    hist.set_defaults(run=_history)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except ValueError as exc:  # a blank reason or name
        print(f"refused: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
