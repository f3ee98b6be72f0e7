"""Every province configuration gets its own monthly and publish DAG, from its own file, and nothing else does
(issue 12, item 4).

Parsed with Airflow's own DagBag, as the dag-processor would: for each ``include/config/provinces/*.toml``
the DAGs ``bansos_monthly_<kode>`` and ``bansos_publish_<kode>`` exist with no import errors, map one branch
per kab/kota of that file (and only those), run on the province's own clock and listen to the province's
own mart Asset; Kepri keeps the ids the demo and the end-to-end tests use.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bansos.domain.config import PROVINCES_DIR, load_province
from bansos.orchestration import assets
from tests.dags.conftest import CODES, ROOT


def test_the_three_provinces_are_configured():
    assert CODES == ["21", "61", "64"]
    assert load_province("64").programme("BLT-P3KE").counting_unit == "persons"
    assert load_province("61").programme("PKH").counting_unit == "households"


def test_each_province_has_its_three_dags_and_no_import_errors(dagbag):
    assert dagbag.import_errors == {}
    expected = {f"bansos_{kind}_{code}" for code in CODES for kind in ("monthly", "publish", "approval")}
    assert set(dagbag.dags) == expected
    # the demo's and end-to-end tests' ids (tools/devstack/demo.py) are Kepri's, unchanged
    assert {"bansos_monthly_21", "bansos_publish_21"} <= set(dagbag.dags)


@pytest.mark.parametrize("code", CODES)
def test_the_monthly_dag_maps_the_province_s_own_kabkota_on_its_own_clock(dagbag, code):
    province = load_province(code)
    dag = dagbag.dags[f"bansos_monthly_{code}"]
    group = dag.task_group_dict["kabkota"]
    assert group._expand_input.value == {"kode_kabkota": province.kabkota_codes}
    assert f"provinsi-{code}" in dag.tags
    assert str(dag.timetable.timezone) in (province.timezone, f"Timezone('{province.timezone}')")
    publish = dag.get_task("publish")
    assert [(o.name, o.uri) for o in publish.outlets] == [(assets.mart_asset(code).name, assets.mart_asset(code).uri)]


@pytest.mark.parametrize("code", CODES)
def test_the_publish_dag_listens_to_the_province_s_own_mart_asset(dagbag, code):
    dag = dagbag.dags[f"bansos_publish_{code}"]
    scheduled = dag.timetable.asset_condition.objects
    assert [a.uri for a in scheduled] == [f"bansos://warehouse/mart/{code}"]
    assert f"provinsi-{code}" in dag.tags


@pytest.mark.parametrize("config", sorted(PROVINCES_DIR.glob("*.toml")), ids=lambda p: p.stem)
def test_each_province_s_dags_come_from_its_own_file(dagbag, config):
    """One file per province: parsed alone it gives that province's three DAGs, recorded as coming from it
    (the file a worker parses again to run a task), and no other province's."""
    from airflow.dag_processing.dagbag import DagBag

    code, slug = config.stem.split("-", 1)
    dag_file = ROOT / "dags" / f"provinsi_{code}_{slug.replace('-', '_')}.py"
    assert dag_file.exists(), f"{config.name} has no DAG file {dag_file.name}"
    alone = DagBag(dag_folder=str(dag_file))
    assert alone.import_errors == {}
    assert set(alone.dags) == {f"bansos_monthly_{code}", f"bansos_publish_{code}", f"bansos_approval_{code}"}
    for dag_id in alone.dags:
        assert Path(dagbag.dags[dag_id].fileloc) == dag_file


def test_the_dag_processor_parses_the_province_files_only():
    """The wiring modules are imported by the province files, not parsed as DAG files of their own."""
    from airflow.utils.file import list_py_file_paths

    parsed = sorted(Path(p).name for p in list_py_file_paths(str(ROOT / "dags")))
    configs = sorted(PROVINCES_DIR.glob("*.toml"))
    assert parsed == sorted(f"provinsi_{c.stem.replace('-', '_')}.py" for c in configs)


@pytest.mark.parametrize("kind", ["monthly", "publish", "approval"])
def test_a_worker_parsing_for_one_task_builds_only_that_task_s_dag(kind):
    """A task process parses its DAG file inside Airflow's parsing context (the task runner's own context
    manager, with the task's DAG and task ids): the province file then builds that one DAG, whole, and not
    the other two; with no context (the dag-processor) it builds all three, as above."""
    from airflow.dag_processing.dagbag import DagBag
    from airflow.sdk.definitions._internal.dag_parsing_context import _airflow_parsing_context_manager
    from airflow.sdk.definitions.context import _AIRFLOW_PARSING_CONTEXT_DAG_ID, _AIRFLOW_PARSING_CONTEXT_TASK_ID

    dag_file = ROOT / "dags" / "provinsi_21_kepulauan_riau.py"
    everything = DagBag(dag_folder=str(dag_file))
    wanted = f"bansos_{kind}_21"
    try:
        with _airflow_parsing_context_manager(dag_id=wanted, task_id="any"):
            one = DagBag(dag_folder=str(dag_file))
    finally:  # the context manager leaves its variables set when none were (a task process ends right after)
        for name in (_AIRFLOW_PARSING_CONTEXT_DAG_ID, _AIRFLOW_PARSING_CONTEXT_TASK_ID):
            os.environ.pop(name, None)
    assert one.import_errors == {}
    assert set(one.dags) == {wanted}
    assert set(one.dags[wanted].task_dict) == set(everything.dags[wanted].task_dict)
