"""The province-month benchmark (``benchmarks/province_month.py``, issue 14 item 3): its synthetic province is
Jawa Timur's 38 real kab/kota, its DAGs folder builds that province's DAGs only, and the overhead it reports
is the wait of each task instance after its own upstream ended."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bansos.domain.config import load_province
from benchmarks import province_month as bench
from tools import PROJECT_ROOT


def test_the_synthetic_province_is_jawa_timur_with_its_38_kabkota_from_the_reference():
    import csv

    province = load_province(bench.PROVINCE, bench.CONFIG_DIR)
    with open(PROJECT_ROOT / "include/reference/wilayah.csv", encoding="utf-8") as fh:
        reference = {r["kode"]: r["nama"] for r in csv.DictReader(fh)
                     if r["tingkat"] == "kabupaten_kota" and r["kode"].startswith("35.")}
    assert {k.kode: k.nama for k in province.kabkota} == reference
    assert len(province.kabkota) == 38
    assert {p.kode for p in province.programmes} >= {"JAMSOS", "BSKK", "UEP"}  # what the bulk extracts pay
    assert (bench.CONFIG_DIR / "LICENSE-wilayah.txt").exists()
    # not one of the platform's provinces
    assert not list((PROJECT_ROOT / "include/config/provinces").glob("35-*.toml"))


@pytest.mark.airflow  # a DagBag in a subprocess: the airflow tier (tests/conftest.py), not make check's
def test_its_dags_folder_builds_the_three_dags_of_province_35_with_38_branches():
    script = (
        "import json; from airflow.dag_processing.dagbag import DagBag\n"
        f"bag = DagBag(dag_folder={str(bench.DAGS_DIR)!r})\n"
        "dag = bag.dags.get('bansos_monthly_35')\n"
        "print(json.dumps({'errors': {k: str(v)[:300] for k, v in bag.import_errors.items()},"
        " 'dags': sorted(bag.dags),"
        " 'branches': dag.task_group_dict['kabkota']._expand_input.value['kode_kabkota'] if dag else None}))\n"
    )
    env = dict(os.environ, BANSOS_PROVINCES_DIR=str(bench.CONFIG_DIR), AIRFLOW__CORE__LOAD_EXAMPLES="False",
               PYTHONPATH=os.pathsep.join([str(PROJECT_ROOT / "src"), str(PROJECT_ROOT / "dags"),
                                           os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300,
                          check=True)
    parsed = json.loads(done.stdout.strip().splitlines()[-1])
    assert parsed["errors"] == {}
    assert parsed["dags"] == ["bansos_approval_35", "bansos_monthly_35", "bansos_publish_35"]
    assert parsed["branches"] == load_province(bench.PROVINCE, bench.CONFIG_DIR).kabkota_codes


def _ti(task, start, end, mi=-1, scheduled=None, queued=None, state="success"):
    def iso(t):
        return None if t is None else f"2026-12-03T04:00:{t:06.3f}Z"

    return {"task_id": task, "map_index": mi, "state": state, "start_date": iso(start), "end_date": iso(end),
            "scheduled_when": iso(scheduled), "queued_when": iso(queued),
            "duration": None if start is None else end - start, "hostname": "" if start is None else "127.0.0.1"}


TASKS = [
    {"task_id": "prepare", "downstream_task_ids": ["g.extract"], "is_mapped": False},
    {"task_id": "g.extract", "downstream_task_ids": ["g.merge"], "is_mapped": True},
    {"task_id": "g.merge", "downstream_task_ids": ["report"], "is_mapped": True},
    {"task_id": "report", "downstream_task_ids": ["leaf"], "is_mapped": False},
    {"task_id": "leaf", "downstream_task_ids": [], "is_mapped": False},
]


def test_the_wait_is_each_ran_task_s_start_after_its_own_upstream_ended_the_overhead_its_part_on_a_free_slot():
    run = {"start_date": "2026-12-03T04:00:01.000Z"}
    tis = [
        _ti("prepare", 2, 4, scheduled=1.5, queued=1.8),
        _ti("g.extract", 5, 10, mi=0),
        _ti("g.extract", 6, 20, mi=1),
        _ti("g.merge", 13, 14, mi=0, scheduled=11, queued=12),  # waits on extract 0 (ended 10), not extract 1
        _ti("g.merge", 21, 22, mi=1),
        _ti("report", 30, 31),  # every merge: ready at 22
        _ti("leaf", None, None, state="skipped"),  # did not run: not counted
    ]
    got = bench.overhead(tis, TASKS, run, slots=1)
    gaps = {(t["task"], t["map_index"]): t["gap"] for t in got["per_ti"]}
    assert gaps == {("prepare", -1): 1, ("g.extract", 0): 1, ("g.extract", 1): 2, ("g.merge", 0): 3,
                    ("g.merge", 1): 1, ("report", -1): 8}
    assert got["tis"] == 6
    assert got["gap_sum"] == pytest.approx(16)
    assert got["gap_mean"] == pytest.approx(16 / 6)
    assert got["parts_median"]["ready_to_queued"] == pytest.approx(1.4)  # prepare 0.8, merge 0 2.0
    assert got["parts_median"]["queued_to_start"] == pytest.approx(0.6)  # prepare 0.2, merge 0 1.0
    # one slot: prepare waits 1-2 on a free slot; at 4-5 both extracts wait and one slot is free (1 s, not 2);
    # extract 1 then waits behind extract 0, merge 0 behind extract 1 (slot busy: no overhead); merge 1 waits
    # 20-21 and report 22-30 on a free slot
    assert got["free_slot_wait_sum"] == pytest.approx(1 + 1 + 1 + 8)
    assert bench.overhead(tis, TASKS, run, slots=8)["free_slot_wait_sum"] == pytest.approx(16)
    work = bench.durations(tis)
    # a branch task that ran and skipped itself (its file rejected) ran; the leaf the scheduler skipped did not
    assert bench.ran(_ti("g.merge", 1, 2, state="skipped")) and not bench.ran(tis[-1])
    assert work["sum"] == pytest.approx(2 + 5 + 14 + 1 + 1 + 1)
    assert work["by_task"]["g.extract"] == {"n": 2, "median": 9.5, "sum": 19}
