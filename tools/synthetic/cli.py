"""The ``python -m tools.synthetic`` command.

Prints only file paths, row counts and timings, never a NIK, No KK or name: even synthetic
identifiers look real, and command output ends up in CI logs and chat.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tools.synthetic.batam2023 import write_batam_blt_2023
from tools.synthetic.bulk import DEFAULT_CHUNK_ROWS, write_bulk_extract
from tools.synthetic.bulk import DEFAULT_SEED as BULK_SEED
from tools.synthetic.defects import DEFECTS, write_defective_extract
from tools.synthetic.kepri2022 import DEFAULT_SEED, KEPRI_2022, write_year
from tools.synthetic.month import KALBAR_2024_10, KALTIM_2022_12, write_month


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.synthetic",
        description=(
            "Write synthetic monthly bansos extracts into a landing folder laid out as the "
            "province's template says: <landing>/<kode_provinsi>/<YYYY-MM>/<kode_kabkota>/"
            "penyaluran_<kabkota>_<YYYYMM>.csv. The same arguments always write the same bytes."
        ),
    )
    sub = parser.add_subparsers(dest="dataset", required=True, metavar="DATASET")

    def landing(p: argparse.ArgumentParser) -> None:
        p.add_argument("--landing", type=Path, required=True, help="landing root folder (created if missing)")

    kepri = sub.add_parser(
        "kepri2022",
        help="Kepulauan Riau 2022: 7 kab/kota x 12 months reproducing the 2022 KK report",
        description="Write 84 files whose distinct No KK per programme and kab/kota over 2022 "
        "equal the province's 2022 report (58,849 KK summed over programmes).",
    )
    landing(kepri)
    kepri.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    kepri.add_argument(
        "--targets",
        default=KEPRI_2022,
        help=f"targets file name in tools/synthetic/targets or a path to a .toml (default {KEPRI_2022})",
    )

    blt = sub.add_parser(
        "batam-blt-2023",
        help="Kota Batam 2023-10..12: BLT-EKSTREM, 53 KK x Rp1,000,000 x 3 months",
        description="Write 21.71's files for 2023-10, 2023-11 and 2023-12 with only BLT-EKSTREM "
        "rows: 53 KK x Rp1,000,000, non-tunai (Rp159,000,000). The households come from the "
        "2022 registry built with the same seed.",
    )
    landing(blt)
    blt.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"seed of the 2022 registry (default {DEFAULT_SEED})"
    )

    month = sub.add_parser(
        "month",
        help=f"one month of a province from targets/<province>-<YYYY-MM>.toml ({KALTIM_2022_12}, {KALBAR_2024_10})",
        description="Write one file per kab/kota of the targets' month whose recipients per programme and "
        "kecamatan, in the programme's counting unit (distinct NIK or distinct No KK), equal the targets: "
        f"{KALTIM_2022_12} (Samarinda's P3KE BLT, 9,000 persons x Rp300,000; Bontang), {KALBAR_2024_10} "
        "(Pontianak, 11,314 KPM in PKH).",
    )
    landing(month)
    month.add_argument("--targets", required=True, help="targets file name (e.g. 64-2022-12) or a path to a .toml")
    month.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")

    bulk = sub.add_parser(
        "bulk",
        help="one kab/kota-month file of N rows, streamed in chunks (load testing)",
        description="Write one file of --rows rows for one kab/kota and month, one household per "
        "row, generated and written in chunks so memory stays bounded. Replaces a file of the "
        "same name in that folder.",
    )
    landing(bulk)
    bulk.add_argument("--kabkota", required=True, help="kab/kota code, e.g. 21.71")
    bulk.add_argument("--period", required=True, help="month, YYYY-MM")
    bulk.add_argument("--rows", type=int, required=True, help="number of rows")
    bulk.add_argument("--programme", help="write only this programme (default: a JAMSOS/BSKK/UEP mix)")
    bulk.add_argument(
        "--chunk-rows",
        type=int,
        default=DEFAULT_CHUNK_ROWS,
        help=f"rows per chunk (default {DEFAULT_CHUNK_ROWS})",
    )
    bulk.add_argument("--seed", type=int, default=BULK_SEED, help=f"random seed (default {BULK_SEED})")
    bulk.add_argument("--province", default="21", help="province code (default 21)")

    defect = sub.add_parser(
        "defect",
        help="one defective extract (a correction a kab/kota might really send) for testing validation",
        description="Take the clean Kepri 2022 extract of one kab/kota-month, apply one defect class and "
        "write it as koreksi_<defect>.csv (or .xlsx) beside it in the landing folder. Classes: "
        + ", ".join(sorted(DEFECTS)),
    )
    landing(defect)
    defect.add_argument(
        "--defect", required=True, choices=sorted(DEFECTS), metavar="CLASS", help="defect class"
    )
    defect.add_argument("--kabkota", required=True, help="kab/kota code, e.g. 21.71")
    defect.add_argument("--period", required=True, help="month of 2022, YYYY-MM")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    totals = {"files": 0, "rows": 0}

    def report(path: Path, rows: int) -> None:
        totals["files"] += 1
        totals["rows"] += rows
        print(f"{path}\t{rows} rows", flush=True)

    started = time.perf_counter()
    try:
        if args.dataset == "kepri2022":
            write_year(args.landing, args.targets, seed=args.seed, province_kode="21", on_written=report)
        elif args.dataset == "defect":
            path = write_defective_extract(args.landing, args.defect, args.kabkota, args.period)
            report(path, -1)
        elif args.dataset == "month":
            write_month(args.landing, args.targets, seed=args.seed, on_written=report)
        elif args.dataset == "batam-blt-2023":
            write_batam_blt_2023(args.landing, seed=args.seed, on_written=report)
        else:
            write_bulk_extract(
                args.landing,
                args.kabkota,
                args.period,
                args.rows,
                seed=args.seed,
                chunk_rows=args.chunk_rows,
                programme=args.programme,
                province_kode=args.province,
                on_written=report,
            )
    except (KeyError, ValueError, FileNotFoundError) as exc:
        print(f"error: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - started
    print(f"{totals['files']} files, {totals['rows']} rows, {elapsed:.1f} s")
    return 0
