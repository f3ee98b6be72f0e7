"""A large file's stage and merge run on every core (issue 14): PostgreSQL's parallel workers may compute the
pseudonyms and the per-row facts, walk the two rules-across-months indexes side by side and build the checked
table, because the key's pads reach those statements as init plans (scalar subqueries the leader evaluates once
and hands to the workers) and their work tables are UNLOGGED tables of the step's transaction, not temp tables
only the leader can read. Merge's new households and persons are found in one process, on a second connection
beside the distribution insert, which keeps the other core.

The plans are read with ``EXPLAIN`` inside one stage-and-merge transaction, statement by statement of
``include/sql/stage/build_ids.sql``, ``build_checked.sql`` and ``include/sql/merge/``, with the parallel costs set to
zero so that a small synthetic file is planned as a large one is. And a whole branch forced through parallel
workers (``debug_parallel_query``) leaves the warehouse exactly as a branch in one process does."""

from __future__ import annotations

import re

import pytest
from psycopg2 import sql

from bansos.stage.stage import lookup_branches, lookup_constants, staged_rows
from bansos.warehouse import pseudonyms, sqlfiles
from bansos.warehouse.database import close_idle, connect
from tests.conftest import KEY, _admin, _name, pipeline_env
from tests.pipeline import land, load_without_suite, query, run_branch, source_file
from tests.s3.landing import content_snapshot

EARLIER, PERIODE, KODE = "2022-02", "2022-03", "21.05"
# the plans are read on Batam's March: JAMSOS, BSKK and UEP (limited over a lifetime), so both kinds of lookup
PLANS_KODE = "21.71"
# what makes the planner treat a small table as a large one
PARALLEL = {"parallel_setup_cost": "0", "parallel_tuple_cost": "0", "min_parallel_table_scan_size": "0",
            "min_parallel_index_scan_size": "0"}
CREATE = re.compile(r'CREATE UNLOGGED TABLE "staging"\."submission_\d+_[0-9a-f]{8}_(\w+)" AS\s')
# merge's write of the month's rows, planned (EXPLAIN without ANALYZE runs nothing) as "distribution"
INSERT = re.compile(r"INSERT INTO core\.distribution\s")


@pytest.fixture(scope="module")
def files(request):
    """The synthetic Kepri 2022 landing tree, generated once per session (``tests/conftest.py``)."""
    return request.getfixturevalue("kepri2022")


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


def _run_with_plans(cur, script: str, params: dict) -> dict[str, dict]:
    """Run a script statement by statement; the plan of each ``CREATE UNLOGGED TABLE ... AS``, by table kind, and
    of the distribution insert."""
    plans = {}
    for statement in sqlfiles.statements(script):
        body = "\n".join(line for line in statement.splitlines() if not line.startswith("--")).strip()
        created = CREATE.match(body)
        if created:
            cur.execute("EXPLAIN (VERBOSE, FORMAT JSON) " + body[created.end():], params)
            plans[created[1]] = cur.fetchone()[0][0]["Plan"]
        elif INSERT.match(body):
            cur.execute("EXPLAIN (VERBOSE, FORMAT JSON) " + body, params)
            plans["distribution"] = cur.fetchone()[0][0]["Plan"]
        cur.execute(body, params)
    return plans


@pytest.fixture(scope="module")
def plans(pg_base, tmp_path_factory, files) -> dict[str, dict]:
    """The plans of stage's and merge's work tables for March of Batam, February already loaded (so the
    rules across months find its households), in one transaction rolled back at the end."""
    from bansos.orchestration import steps

    with pipeline_env(pg_base, tmp_path_factory, "parallel_plans") as env:
        steps.prepare_warehouse("21")
        land(env.root, files, EARLIER, PLANS_KODE)
        assert load_without_suite(EARLIER, PLANS_KODE)["action"] == "loaded"
        # February's partition as autovacuum leaves a large one (its pages all-visible, its statistics made): the
        # plans of a small file against a few hundred rows are otherwise the planner's guesses, not a large file's
        _admin(env.dsn, "VACUUM ANALYZE core.distribution")
        land(env.root, files, PERIODE, PLANS_KODE)
        found = steps.extract("21", PERIODE, PLANS_KODE)
        sid = found["submission_id"]
        tables = {kind: sqlfiles.staging_table(sid, kind, "plans")
                  for kind in ("raw", "checked", *sqlfiles.STAGE_WORK_TABLES, *sqlfiles.MERGE_WORK_TABLES)}
        where = {"province": "21", "periode": PERIODE, "kode_kabkota": PLANS_KODE, "submission_id": sid}
        path = source_file(files, PERIODE, PLANS_KODE)
        # the database's settings, which the scripts' SET LOCAL ... TO DEFAULT return to
        for name, value in PARALLEL.items():
            _admin(pg_base, f'ALTER DATABASE "{_name(env.dsn)}" SET {name} = {value}')
        close_idle()
        with connect(env.dsn) as conn, conn.cursor() as cur:
            cur.execute(sqlfiles.compose("stage/create_raw.sql", raw=tables["raw"], extra_columns=sql.SQL("")))
            with open(path, "rb") as fh:
                header = fh.readline().decode().strip().split(",")
                fh.seek(0)
                copy = sqlfiles.compose("stage/copy_raw.sql", raw=tables["raw"],
                                        columns=sql.SQL(", ").join(sql.Identifier(c) for c in header),
                                        delimiter=sql.Literal(","), encoding=sql.Literal("UTF8"))
                cur.copy_expert(copy.as_string(cur), fh)
            pseudonyms.hash_with(cur, KEY)
            # a month of an earlier year and a month no batch is current in, each a partition of its own
            cur.execute("SELECT core.ensure_distribution_partition('2021-12'), "
                        "core.ensure_distribution_partition('2023-01')")
            cur.execute("ANALYZE core.distribution_2021_12, core.distribution_2023_01")
            constants = lookup_constants(cur, where)
            assert constants["year_batches"], "February is a batch the rules across months compare with"
            assert constants["year_periods"] == constants["all_periods"] == [EARLIER]
            assert constants["lifetime_programmes"] == ["KUBE", "UEP"]
            # the earlier year as if it had a batch, so its month is planned (no batch is -1)
            params = where | constants | {"all_periods": ["2021-12", EARLIER],
                                          "all_batches": [*constants["all_batches"], -1]}
            found_plans = _run_with_plans(cur, sqlfiles.compose("stage/build_ids.sql", **tables).as_string(cur),
                                          params)
            lookups = lookup_branches(cur, tables["ids"], "21")
            found_plans |= _run_with_plans(
                cur, sqlfiles.compose("stage/build_checked.sql", lookups=lookups, **tables).as_string(cur), params)
            cur.execute(sqlfiles.read("merge/ensure_partition.sql"), where)  # as merge does, before its script
            params["rows"] = staged_rows(cur, sid, "plans")  # as stage records it, which merge passes on
            # merge's scripts in the order of one key (merge.py runs new_keys.sql on a second connection)
            for script in ("staged_key", "new_keys", "insert_batch", "insert_keys", "source_totals"):
                found_plans |= _run_with_plans(
                    cur, sqlfiles.compose(f"merge/{script}.sql", **tables).as_string(cur), params)
            conn.rollback()
    return found_plans


def test_stage_hashes_and_checks_each_row_in_the_workers(plans):
    scans = [n for n in _nodes(plans["ids"]) if n["Node Type"] == "Seq Scan" and n.get("Parallel Aware")]
    assert scans, "the raw rows are read by a parallel scan"
    # the pseudonyms are computed where the rows are read, in the workers, not above the Gather in the leader
    assert any("sha256" in column for column in scans[0]["Output"])
    assert any(n["Node Type"] == "Gather" for n in _nodes(plans["ids"]))


def _reads(plan: dict) -> list[dict]:
    """The index scans under a plan node."""
    return [n for n in _nodes(plan) if "Index Name" in n]


def test_the_lookups_walk_their_indexes_side_by_side(plans):
    appends = [n for n in _nodes(plans["seen"]) if n["Node Type"] == "Append"]
    assert appends and appends[0].get("Parallel Aware"), "one Parallel Append of the household and NIK lookups"
    # a household and a NIK lookup for each programme of the file (JAMSOS, BSKK, UEP), and the file's repeated
    # households and NIKs, beside the walks, not in statements after them
    assert len(appends[0]["Plans"]) == 8
    # each walk stays in one process: no partial scan of an index under the merge joins
    assert not [n for n in _nodes(plans["seen"]) if "Index" in n["Node Type"] and n.get("Parallel Aware")]


def _branches(plans: dict) -> list[dict]:
    """The lookups of the rules across months: the branches of the Parallel Append that read an index."""
    branches = [n for n in _nodes(plans["seen"]) if n["Node Type"] == "Append"][0]["Plans"]
    return [branch for branch in branches if _reads(branch)]


def test_the_lookups_read_only_the_months_and_programmes_a_rule_needs(plans):
    """The file's year for every programme but the lifetime ones, every year for the programmes limited over a
    lifetime (migration 0044), read from the programme-first covering indexes of each named month's partition: no
    other month's, not 2023-01's, whose partition exists without a batch the rules compare with."""
    # each lookup reads one index per month (the Parallel Append orders its branches by cost, not as written)
    read = sorted(sorted({n["Index Name"] for n in _reads(branch)}) for branch in _branches(plans))
    year_kk = ["distribution_2022_02_kode_program_kk_hash_batch_id_periode_idx"]
    year_nik = ["distribution_2022_02_kode_program_nik_hash_batch_id_periode_idx"]
    assert read == [["distribution_2021_12_kode_program_kk_hash_batch_id_periode_idx", *year_kk],
                    ["distribution_2021_12_kode_program_nik_hash_batch_id_periode_idx", *year_nik],
                    year_kk, year_kk, year_nik, year_nik]
    for branch in _branches(plans):
        every_year = any("2021_12" in scan["Index Name"] for scan in _reads(branch))
        for scan in _reads(branch):
            assert scan["Node Type"] == "Index Only Scan", scan["Node Type"]  # the month and batch from the entries
            # UEP, limited over a lifetime, is the only programme read in every year, and there only its entries
            assert ("kode_program = 'UEP'::text" in scan.get("Index Cond", "")) == every_year, scan.get("Index Cond")


def test_the_lookups_sort_the_files_keys_one_programme_at_a_time(plans):
    """Each lookup names one programme of the file as a constant, so the index's entries under it come in key
    order and the file's keys are sorted on the key alone: a sort on (programme, key) compared nearly every pair
    of keys on both (build_checked.sql; 7.3 s -> 6.4 s for the lookups at 1,000,000 rows)."""
    programmes = set()
    for branch in _branches(plans):
        conditions = {scan.get("Index Cond", "") for scan in _reads(branch)}
        constant = [re.fullmatch(r"\(\w+\.kode_program = '(\w+)'::text\)", c) for c in conditions]
        found = {match[1] for match in constant if match}
        assert all(constant) and len(found) == 1, conditions  # one programme, a constant, per lookup
        programmes |= found
        sorts = [n["Sort Key"] for n in _nodes(branch) if "Sort Key" in n]
        assert sorts and all(len(keys) == 1 and keys[0].endswith(("kk_hash", "nik_hash")) for keys in sorts), sorts
    assert programmes == {"BSKK", "JAMSOS", "UEP"}


def test_the_checked_table_is_built_in_parallel(plans):
    scanned = [n.get("Relation Name", "") for n in _nodes(plans["checked"])
               if n["Node Type"] == "Seq Scan" and n.get("Parallel Aware")]
    assert any(name.endswith("_ids") for name in scanned), scanned


def test_the_new_households_and_persons_are_found_in_one_process(plans):
    """They run on merge's second connection beside the distribution insert, which keeps the other core; parallel
    workers there slowed the insert more than they saved (merge/new_keys.sql). So do the batch's source totals."""
    for kind in sqlfiles.MERGE_WORK_TABLES:
        assert not [n for n in _nodes(plans[kind]) if n.get("Parallel Aware") or n["Node Type"] == "Gather"], kind


def test_the_months_rows_are_sorted_one_programme_at_a_time(plans):
    """Merge writes the rows in the household index's order, (programme, household), made by a sort on the
    household alone within each of the file's programmes, taken in order: no sort on both keys, which compares
    nearly every pair of rows on the second key as well (3.1 s against 0.5 s at 1,000,000 rows,
    merge/insert_batch.sql). ``tests/merge/test_batch_rows.py`` checks the order the rows are stored in."""
    sorts = [n for n in _nodes(plans["distribution"]) if n["Node Type"] == "Sort"]
    keys = [[key.rsplit(".", 1)[-1] for key in n["Sort Key"]] for n in sorts]
    assert sorted(keys) == [["kk_hash"], ["kode_program"]], keys
    # the file's programmes, sorted, drive a nested loop whose inner side sorts one programme's rows
    [(outer, inner)] = [n["Plans"] for n in _nodes(plans["distribution"]) if n["Node Type"] == "Nested Loop"
                        and n["Plans"][1].get("Sort Key", [""])[0].endswith("kk_hash")]
    assert [k for n in _nodes(outer) if n["Node Type"] == "Sort" for k in n["Sort Key"]][0].endswith("kode_program")
    assert len(inner["Sort Key"]) == 1


def _branch_state(pg_base, tmp_path_factory, files, name: str, settings: dict) -> dict:
    with pipeline_env(pg_base, tmp_path_factory, name) as env:
        for setting, value in settings.items():
            _admin(pg_base, f'ALTER DATABASE "{_name(env.dsn)}" SET {setting} = {value}')
        close_idle()  # sessions opened from now on start with the database's settings
        from bansos.orchestration import steps

        steps.prepare_warehouse("21")
        for periode in (EARLIER, PERIODE):
            land(env.root, files, periode, KODE)
            assert run_branch(periode, KODE)["action"] == "loaded"
        close_idle()  # the sessions end, and their statistics reach pg_stat_database
        [(launched,)] = query(env.dsn, "SELECT parallel_workers_launched FROM pg_stat_database "
                                       "WHERE datname = current_database()")
        steps.publish("21", PERIODE)
        staging = query(env.dsn, "SELECT tablename FROM pg_tables WHERE schemaname = 'staging'")
        return content_snapshot(env.dsn) | {"staging": staging, "launched": launched}


def test_a_branch_forced_through_parallel_workers_leaves_what_one_process_leaves(pg_base, tmp_path_factory, files):
    forced = _branch_state(pg_base, tmp_path_factory, files, "parallel_forced",
                           PARALLEL | {"debug_parallel_query": "on"})
    serial = _branch_state(pg_base, tmp_path_factory, files, "parallel_off",
                           {"max_parallel_workers_per_gather": "0"})
    assert forced.pop("launched") > 0 and serial.pop("launched") == 0
    assert forced["staging"] == [], "no work table outlives its transaction"
    assert forced == serial
    assert len(forced["distribution"]) > 0 and len(forced["person"]) > 0
