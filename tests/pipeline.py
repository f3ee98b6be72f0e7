"""What the tests share to run the pipeline's steps as the DAG does, without Airflow: land a file as a
kab/kota office would, run one kab/kota branch, read the warehouse back.

The synthetic Kepri 2022 landing tree is the session fixture ``kepri2022`` (``tests/conftest.py``).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import psycopg2

from bansos.domain.handoff import Validated, from_xcom, to_xcom
from bansos.orchestration import steps

KABKOTA = ["21.72", "21.01", "21.71", "21.02", "21.04", "21.03", "21.05"]


def land(
    data_root: Path,
    src: Path,
    periode: str,
    kode_kabkota: str,
    name: str | None = None,
    content: bytes | None = None,
    mtime: float | None = None,
) -> Path:
    """Put a file into ``landing/21/<periode>/<kabkota>/`` as a kab/kota office would."""
    files = sorted((src / "21" / periode / kode_kabkota).glob("*.csv"))
    dst_dir = data_root / "landing" / "21" / periode / kode_kabkota
    dst_dir.mkdir(parents=True, exist_ok=True)
    dst = dst_dir / (name or files[0].name)
    if content is None:
        shutil.copyfile(files[0], dst)
    else:
        dst.write_bytes(content)
    stamp = mtime if mtime is not None else time.time()
    os.utime(dst, (stamp, stamp))
    return dst


def source_file(src: Path, periode: str, kode_kabkota: str) -> Path:
    return sorted((src / "21" / periode / kode_kabkota).glob("*.csv"))[0]


def run_branch(periode: str, kode: str, run_id: str = "test", province: str = "21") -> dict:
    """One kab/kota branch as the DAG runs it: extract -> stage -> validate -> merge."""
    ref = steps.extract(province, periode, kode)
    for step in (steps.stage, steps.validate, steps.merge):
        if ref["action"] != "process":
            return ref
        ref = step(ref, run_id)
    return ref


def load_without_suite(periode: str, kode: str, run_id: str = "setup", province: str = "21") -> dict:
    """extract -> stage -> merge, handing merge what validate hands on when every rule passes: for the months
    a test builds on, clean synthetic files whose GX validation (a second of CPU each) is not what it tests."""
    ref = steps.extract(province, periode, kode)
    if ref["action"] == "process":
        ref = steps.stage(ref, run_id)
    if ref["action"] == "process":
        ref = steps.merge(to_xcom(Validated(**vars(from_xcom(ref)), warnings=())), run_id)
    return ref


def load_months(data_root: Path, src: Path, kode: str, periodes, load=load_without_suite, **kwargs) -> None:
    """Land ``kode``'s file of each month in ``periodes`` and load it (``load_without_suite`` or ``run_branch``,
    with ``kwargs``), one after the other; each must be loaded."""
    for periode in periodes:
        land(data_root, src, periode, kode)
        assert load(periode, kode, **kwargs)["action"] == "loaded", (periode, kode)


def load_month_and_publish(env, src: Path, periode: str = "2022-03") -> dict:
    """Every Kepri kab/kota of ``periode`` landed in ``env.root`` and loaded as the monthly DAG does (each
    branch through the suite), then the month published; returns each branch's result. A build for
    ``tests.conftest.frozen_state``."""
    steps.prepare_warehouse("21")
    for kode in KABKOTA:
        land(env.root, src, periode, kode)
    results = {kode: run_branch(periode, kode) for kode in KABKOTA}
    steps.publish("21", periode)
    return results


def query(dsn: str, sql: str, params=None) -> list[tuple]:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def quarantine_key(dsn: str, rejected: dict) -> str:
    """Where the rejected submission was quarantined: recorded in its row, not in the hand-off (ids only)."""
    [(key,)] = query(dsn, "SELECT quarantine_key FROM raw.submission WHERE submission_id = %s",
                     (rejected["submission_id"],))
    return key


def snapshot(dsn: str) -> dict:
    """Everything a reader could see in core and marts, in a stable order."""
    tables = {
        "distribution": "SELECT * FROM core.distribution ORDER BY batch_id, source_line",
        "load_batch": "SELECT batch_id, submission_id, row_count, loaded_at, superseded_at FROM core.load_batch "
        "ORDER BY batch_id",
        "kabkota_month": "SELECT * FROM core.kabkota_month ORDER BY 1, 2, 3",
        "household": "SELECT * FROM core.household ORDER BY 1",
        "person": "SELECT * FROM core.person ORDER BY 1",
        "summary": "SELECT * FROM mart.distribution_summary ORDER BY 1, 2, 3, 4, 5",
        "submission": "SELECT submission_id, status, sha256, landed_at, row_count FROM raw.submission ORDER BY 1",
    }
    return {name: query(dsn, sql) for name, sql in tables.items()}
