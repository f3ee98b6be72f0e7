"""Every DAG in ``dags/`` imports cleanly and follows the project's conventions.

Parsed with Airflow's own DagBag, as the dag-processor would: no import errors, an owner, tags,
documentation and retries on every DAG; the monthly DAG maps one branch per kab/kota of the
province's configuration and reads its period from the data interval.
"""

from __future__ import annotations

from tests.dags.conftest import ROOT


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}
    assert dagbag.dags, "no DAG found"


def test_every_dag_has_owner_tags_doc_and_retries(dagbag):
    for dag_id, dag in dagbag.dags.items():
        assert dag.tags, f"{dag_id} has no tags"
        assert dag.doc_md and len(dag.doc_md) > 200, f"{dag_id} has no documentation"
        for task in dag.tasks:
            assert task.owner and task.owner != "airflow", f"{dag_id}.{task.task_id} has no owner"
            # the run's failure marker: nothing to retry; the approver's answer: a retry would ask again
            if task.task_id not in ("fail_if_a_task_failed", "approve"):
                assert task.retries >= 1, f"{dag_id}.{task.task_id} has no retries"


def test_every_task_hands_on_one_xcom_not_one_per_dict_key(dagbag):
    # a TaskFlow function annotated "-> dict" would otherwise push every key as an XCom of its own
    # (ten execution-API requests per task instead of one); downstream tasks take the whole reference
    checked = 0
    for dag_id, dag in dagbag.dags.items():
        for task in dag.tasks:
            if hasattr(task, "multiple_outputs"):
                checked += 1
                assert task.multiple_outputs is False, f"{dag_id}.{task.task_id} pushes one XCom per key"
    assert checked >= 10


def test_monthly_dag_maps_one_branch_per_kabkota(dagbag):
    dag = dagbag.dags["bansos_monthly_21"]
    branch = ["kabkota.extract", "kabkota.validate", "kabkota.merge"]
    assert set(branch) <= set(dag.task_ids)
    for upstream, downstream in zip(branch, branch[1:], strict=False):
        assert downstream in dag.get_task(upstream).downstream_task_ids
    group = dag.task_group_dict["kabkota"]
    for task_id in branch:
        task = dag.get_task(task_id)
        assert task.get_closest_mapped_task_group() is group
        assert "kabkota" in task.map_index_template, "mapped instances are named after their kab/kota"
    # no branch starts before the month is resolved, the warehouse migrated and the exclusion registry loaded
    assert dag.get_task("kabkota.extract").upstream_task_ids == {"prepare", "load_exclusions"}
    assert dag.get_task("load_exclusions").upstream_task_ids == {"prepare"}
    assert "kabkota.merge" in dag.get_task("integrity").upstream_task_ids
    assert dag.get_task("publish").upstream_task_ids == {"integrity", "prepare"}
    assert dag.get_task("publish").trigger_rule == "none_failed"  # a skipped (missing, rejected) branch is fine
    assert dag.get_task("report").trigger_rule == "all_done"
    # ...but a failed task fails the run: the only leaf fires on any failure upstream
    watcher = dag.get_task("fail_if_a_task_failed")
    assert watcher.trigger_rule == "one_failed" and not watcher.downstream_task_ids
    assert [t.task_id for t in dag.tasks if not t.downstream_task_ids] == ["fail_if_a_task_failed"]
    upstream = {"kabkota.merge", "integrity", "publish", "report", "prepare", "load_exclusions"}
    assert upstream <= watcher.upstream_task_ids


def test_a_branch_task_failing_for_good_drops_its_staging_and_releases_its_claim(dagbag):
    from bansos.orchestration import steps

    dag = dagbag.dags["bansos_monthly_21"]
    for task_id in ("kabkota.extract", "kabkota.validate", "kabkota.merge"):
        assert steps.on_branch_failure in dag.get_task(task_id).on_failure_callback, task_id


def test_monthly_dag_runs_for_the_previous_month_in_jakarta_time(dagbag):
    dag = dagbag.dags["bansos_monthly_21"]
    timetable = dag.timetable
    # a data-interval timetable: each run covers the month before its run date (a cron string
    # would give start == end and no month to process)
    assert type(timetable).__name__ == "CronDataIntervalTimetable"
    assert timetable.expression == "0 2 1 * *"
    assert str(timetable.timezone) in ("Asia/Jakarta", "Timezone('Asia/Jakarta')")
    assert not dag.catchup
    assert dag.params["periode"] is None


def test_dag_files_do_not_import_heavy_libraries_at_parse_time():
    source = (ROOT / "dags" / "bansos_monthly.py").read_text()
    for heavy in ("great_expectations", "pandas", "psycopg2", "boto3"):
        assert f"import {heavy}" not in source
