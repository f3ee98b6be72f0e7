"""Shared fixtures: a real PostgreSQL server (embedded) for the whole test session, fresh databases;
and each test's tier, as a marker.

A warehouse is a copy of a template database migrated once per session (``CREATE DATABASE ... TEMPLATE``:
the server copies files, well under a second, where migrating and syncing reference data take two); a
module whose tests all start from the same loaded state builds it once and freezes it the same way
(:func:`freeze`), and a state that several modules start from is built once per session and frozen
(:func:`frozen_state`). Under pytest-xdist (``make check``) each worker is a session of its own: its own
server, in its own temporary folder, and its own S3 server on a free port; the files that share a frozen
state run on one worker (:data:`SHARED_STATES`), which builds it once; the costliest files are handed out
first (:data:`COSTS`).

When ``BANSOS_TEST_POSTGRES_URL`` points at a server (``postgresql://user:pw@host:5432/postgres``),
the tests create their databases there instead.

Tiers (``pytest -m unit``, ``make check``): ``e2e`` runs the real Airflow scheduler (``tests/e2e/``);
``airflow`` runs Airflow in-process or as a command (``tests/dags/``, ``*_airflow.py``, or a test marked
``airflow`` in a file of another tier); ``s3`` needs
the moto server; ``warehouse`` needs PostgreSQL; ``unit`` needs none of these. Each test gets the
first that applies, from what it is and the fixtures it uses, so a moved test keeps its tier.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import itertools
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import psycopg2
import pytest

from bansos.domain.config import load_province
from tools.devstack import postgres

pytest_plugins = ["tests.s3.server"]  # the session's S3 server (moto over HTTP), for tests/s3 and tests/e2e

KEY = b"test-key-" + b"0123456789abcdef" * 2  # 41 bytes; tests only

# Test files are written whole before a step runs: take them at once (tests of the wait set their own).
os.environ.setdefault("BANSOS_LANDING_SETTLE_SECONDS", "0")


TESTS = Path(__file__).resolve().parent
TIERS = ("unit", "warehouse", "s3", "airflow", "e2e")


def file_tier(path: Path) -> str | None:
    """The tier a test file or folder gives all its tests by where it is (``path`` relative to ``tests/``):
    ``e2e`` for ``tests/e2e/``, ``airflow`` for ``tests/dags/`` and ``*_airflow.py``, else None (each test's
    fixtures decide)."""
    if path.parts[0] == "e2e":
        return "e2e"
    if path.parts[0] == "dags" or path.stem.endswith("_airflow"):
        return "airflow"
    return None


def tier(item: pytest.Item) -> str:
    """The test's tier: the slowest thing it needs."""
    path = Path(str(item.path)).resolve().relative_to(TESTS)
    if file_tier(path) == "e2e" or item.get_closest_marker("e2e"):
        return "e2e"
    if file_tier(path) == "airflow" or item.get_closest_marker("airflow"):
        return "airflow"
    fixtures = set(getattr(item, "fixturenames", ()))
    if "s3_server" in fixtures:
        return "s3"
    if "pg_base" in fixtures:
        return "warehouse"
    return "unit"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(tier(item))


def never_selected(markexpr: str, tiers: set[str]) -> bool:
    """Whether ``-m markexpr`` deselects every test whose tier is one of ``tiers``, whatever other markers
    it has (each other name in the expression tried true and false). False when unsure."""
    if not markexpr or "(" in markexpr:  # keyword arguments (``name(key=value)``): not worth parsing here
        return False
    from _pytest.mark.expression import Expression

    others = sorted(set(re.findall(r"[^\s()]+", markexpr)) - {"and", "or", "not"} - set(TIERS))
    if len(others) > 8:
        return False
    expression = Expression.compile(markexpr)
    for tier_ in tiers:
        for values in itertools.product((False, True), repeat=len(others)):
            on = {tier_} | {name for name, value in zip(others, values, strict=True) if value}
            if expression.evaluate(on.__contains__):
                return False
    return True


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Do not even import the files and folders of a tier the ``-m`` expression leaves out (``make check``
    leaves out ``airflow`` and ``e2e``): importing them costs each xdist worker seconds (Airflow, DAG files)
    for tests it would deselect."""
    try:
        path = collection_path.resolve().relative_to(TESTS)
    except ValueError:
        return None
    if not path.parts or (collection_path.is_file() and not path.name.startswith("test_")):
        return None
    where = file_tier(path)
    if where is None:
        return None
    # a test in an airflow file may still be marked e2e: its tier is then e2e
    return True if never_selected(config.getoption("markexpr"), {where, "e2e"}) else None


# Test files that start from the same frozen state (:func:`frozen_state`), by the state's name: under
# ``--dist loadfile`` each group runs on one worker, which builds the state once for all its files.
SHARED_STATES = {
    "tests/orchestration/test_steps.py": "kepri_2022_03",
    "tests/orchestration/test_steps_on_s3.py": "kepri_2022_03",
}


# The costliest test files, by the CPU-seconds (pytest and its PostgreSQL server) each took in ``make check``
# (measured as docs/decisions.md says), plus the seconds a file waits on a clock (a worker's time either
# way): the scheduler hands them out first, costliest first, so the run
# does not end with one worker on a long file while the other has nothing left. Only an order: a file not
# listed goes after these, in xdist's order, and a figure gone stale costs wall time, never a result.
COSTS = {  # measured 2026-12-03 in the afternoon (docs/decisions.md, "Validation without a checkpoint ...")
    "tests/publish/test_marts.py": 38,  # its forked branches included
    "tests/validate/test_defects.py": 30,
    "tests/orchestration/test_steps.py": 16,
    "tests/orchestration/test_steps_on_s3.py": 14,
    "tests/faults/test_rule_errors.py": 10,  # 6, and about 4.5 s of statement timeouts (7.5 before the 300 ms)
    "tests/faults/test_runs_and_staging.py": 12,
    "tests/orchestration/test_waiting.py": 8,  # 5, and about 3 s of the trigger's waits (7 before LANDS_AFTER)
    "tests/packaging/test_wheel.py": 11,  # in its pip and venv subprocesses
    "tests/faults/test_hostile_files.py": 11,
    "tests/stage/test_format_answers.py": 10,
    "tests/stage/test_parallel_plans.py": 9,  # added 2026-12-04: three small warehouses, three branches
    "tests/faults/test_pseudonym_key.py": 9,
    "tests/validate/test_rules_across_months.py": 8,
    "tests/stage/test_file_formats.py": 8,
    "tests/tools/test_synthetic.py": 8,
    "tests/approve/test_approval.py": 7,
    "tests/publish/test_provinces.py": 7,
    "tests/validate/test_datadocs_offline.py": 7,  # 4, and about 3 s of Chromium's start
    "tests/warehouse/test_sessions.py": 6,
    "tests/extract/test_exclusions.py": 6,
    "tests/faults/test_compose_defaults.py": 5,
    "tests/publish/test_export.py": 5,
    "tests/approve/test_held.py": 5,
    "tests/publish/test_status.py": 4,
    "tests/validate/test_correction_list.py": 4,
}


def scope_of(path: str) -> str:
    """The unit ``--dist loadfile`` sends to one worker: the file, or the state it shares with others."""
    return SHARED_STATES.get(path, path)


def scope_costs() -> dict[str, float]:
    """:data:`COSTS` by scheduling unit: the files that share a state cost together."""
    costs: dict[str, float] = {}
    for path, cost in COSTS.items():
        costs[scope_of(path)] = costs.get(scope_of(path), 0) + cost
    return costs


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """The runs' folders that pytest is about to delete (``pytest-of-<user>/pytest-N`` beyond the newest
    ``tmp_path_retention_count``) are deleted in the background instead: a ``make check`` leaves about
    100 MB of small files (landed trees, archives, Data Docs), which pytest removed at the end of the run
    three runs later, two to three seconds when nothing else runs. A folder still locked by a session
    that runs now (its ``.lock``) is left to pytest's own rule."""
    if hasattr(session.config, "workerinput"):
        return  # a worker's folder is inside the controller's
    basetemp = session.config._tmp_path_factory.getbasetemp()  # pytest's own, or the --basetemp given
    number = re.fullmatch(r"pytest-(\d+)", basetemp.name)
    if session.config.option.basetemp or not number:
        return
    keep = int(session.config.getini("tmp_path_retention_count"))
    for folder in basetemp.parent.glob("pytest-*"):
        stale = re.fullmatch(r"pytest-(\d+)", folder.name)
        if stale and int(stale[1]) <= int(number[1]) - keep and not folder.is_symlink() \
                and not (folder / ".lock").exists():
            with contextlib.suppress(OSError):
                remove_in_background(folder.rename(folder.with_name(f"discarded-{folder.name}-{uuid.uuid4().hex[:8]}")))
    for folder in basetemp.parent.glob("discarded-pytest-*"):  # one a killed `rm` left
        remove_in_background(folder)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """An xdist worker ends as soon as its work is done: its results were sent at the end of its session,
    its servers are stopped, and the exit handlers (temporary folders, logging) are run here. What is left
    out is the interpreter's own teardown, freeing one by one every object of GX, Airflow, pandas and
    SQLAlchemy: about two seconds at the end of a ``make check``, the controller waiting on the last worker
    while nothing else runs."""
    if not hasattr(config, "workerinput"):
        return
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook: without xdist, nothing to schedule
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile``, with the files of :data:`SHARED_STATES` sent to one worker as if one file, and
    the costliest units (:data:`COSTS`) first."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    costs = scope_costs()

    class SharedStateScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return scope_of(nodeid.split("::", 1)[0])

        def _assign_work_unit(self, node) -> None:
            costliest = max(self.workqueue, key=lambda scope: costs.get(scope, 0))  # the first on a tie
            self.workqueue.move_to_end(costliest, last=False)
            super()._assign_work_unit(node)

    return SharedStateScheduling(config, log)


NO_DURABILITY = ("fsync = off", "full_page_writes = off")
# Read at start only, so given to the server before its first restart. A test server serves no replica and no
# archive: `minimal` WAL leaves out what only those would read. Crash recovery works the same; no query, plan or
# result changes.
TEST_SERVER_SETTINGS = postgres.BULK_SETTINGS + (("wal_level", "minimal"), ("max_wal_senders", "0"))
# A test server's files go to memory (tmpfs) when the machine has one with room for them: its writes (about
# 180 template copies of 24 MB in a `make check`, the WAL, every load) then cost the kernel no file-system and
# block-device work. Measured per template copy: 0.26 s of the server's CPU, 0.20 of it in the kernel, on this
# machine's ext4 disk; 0.08 s on /dev/shm (docs/decisions.md, "`make check`: the test servers' WAL and files in
# memory ...").
# `make check` asks for it (BANSOS_TEST_SERVER_IN_MEMORY=1): its two workers' servers end at about 3 GB each.
# `make test` keeps its one server on disk: it serves every tier, and the end-to-end stacks need the memory.
MEMORY_DIR = Path("/dev/shm")
MEMORY_NEEDED = 8 * 2**30
MEMORY_PREFIX = "bansos-test-server-"


def server_dir(tmp_path_factory) -> Path:
    """A new folder for the session's test server: in memory when there is room (see above), else on disk."""
    if (
        os.environ.get("BANSOS_TEST_SERVER_IN_MEMORY") == "1"
        and MEMORY_DIR.is_dir()
        and os.access(MEMORY_DIR, os.W_OK)
        and shutil.disk_usage(MEMORY_DIR).free > MEMORY_NEEDED
    ):
        remove_abandoned_servers()
        return Path(tempfile.mkdtemp(prefix=f"{MEMORY_PREFIX}{os.getpid()}-", dir=MEMORY_DIR))
    return tmp_path_factory.mktemp("pg")


def remove_abandoned_servers() -> None:
    """Free the memory of test servers whose session was killed before its teardown (its process gone).

    A server of such a session may still run: it is stopped first (an orphaned postmaster would hold
    on to its files)."""
    for folder in MEMORY_DIR.glob(f"{MEMORY_PREFIX}*"):
        owner = folder.name[len(MEMORY_PREFIX):].split("-")[0]
        if owner.isdigit() and Path(f"/proc/{owner}").exists():
            continue
        if (folder / "pgdata" / "postmaster.pid").exists():
            with contextlib.suppress(Exception):
                postgres.stop(folder, mode="immediate")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_base(tmp_path_factory) -> str:
    configured = os.environ.get("BANSOS_TEST_POSTGRES_URL")
    if configured:
        yield configured
        return
    state = server_dir(tmp_path_factory)
    uri = postgres.start(state, TEST_SERVER_SETTINGS)
    # A test server: durability against a power cut is not what it is for. Both settings only decide what
    # reaches the disk and when (a crash of PostgreSQL itself still recovers; tests/faults crash a server of
    # their own); no query, plan or result changes.
    for setting in NO_DURABILITY:
        _admin(uri, f"ALTER SYSTEM SET {setting}")
    _admin(uri, "SELECT pg_reload_conf()")
    yield uri
    postgres.stop(state, mode="immediate")  # its files are deleted next: no checkpoint to write
    discard_in_background(state / "pgdata", keep_log_in=tmp_path_factory.getbasetemp())


def discard_in_background(pgdata: Path, keep_log_in: Path) -> None:
    """Delete a stopped test server's files without waiting: a ``make check`` leaves 3 GB per worker (a
    hundred copies of the template database, the WAL), which pytest would otherwise delete, ten seconds of
    disk work, at the exit of the run three runs later. The server's log is kept in ``keep_log_in``; a
    server in memory has its whole folder removed."""
    if not (pgdata / "PG_VERSION").exists():
        return
    if (pgdata / "log").exists():
        shutil.move(pgdata / "log", keep_log_in / "postgresql.log")
    in_memory = pgdata.parent.parent == MEMORY_DIR
    remove_in_background(pgdata.parent if in_memory else pgdata.rename(pgdata.with_name(pgdata.name + ".discarded")))


def remove_in_background(folder: Path) -> None:
    """``rm -rf folder`` in a process of its own, which the end of the test session does not wait for."""
    subprocess.Popen(["rm", "-rf", str(folder)], start_new_session=True,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _admin(pg_base: str, sql: str, params=None) -> None:
    conn = psycopg2.connect(pg_base)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
    finally:
        conn.close()


def _name(dsn: str) -> str:
    return dsn.partition("?")[0].rsplit("/", 1)[1]


# A template copy as a copy of its files (and two checkpoints, cheap on a test server without fsync) instead of
# PostgreSQL's default, which reads and writes every page of the copy through the shared buffers (no WAL under
# `minimal`): 0.037 s per copy against 0.061 to 0.077 s, on a test server in memory with the migrated template
# (docs/decisions.md, "`make check`: bytecode kept, template copies as files").
COPY_STRATEGY = "STRATEGY FILE_COPY"


def new_database(pg_base: str, prefix: str = "t", template: str | None = None) -> str:
    """A database of its own: empty, or a copy of the template database ``template`` (a file copy on
    the server, well under a second, where migrating and loading it again takes seconds)."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    _admin(pg_base, f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}" {COPY_STRATEGY}' if template else ""))
    return postgres.database_uri(pg_base, name)


def freeze(pg_base: str, dsn: str) -> str:
    """Make the database at ``dsn`` a template for :func:`new_database` and :func:`restore`; returns its
    name. PostgreSQL copies a database only while nobody is connected to it, so the connections still
    open to it (a pool of the step that built it) are closed and no new one is allowed."""
    name = _name(dsn)
    _admin(pg_base, f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
    _admin(pg_base, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
    return name


def restore(pg_base: str, template: str, dsn: str) -> None:
    """Replace the database at ``dsn`` by a copy of ``template``, under the same name."""
    name = _name(dsn)
    _admin(pg_base, f'DROP DATABASE "{name}" WITH (FORCE)')
    _admin(pg_base, f'CREATE DATABASE "{name}" TEMPLATE "{template}" {COPY_STRATEGY}')


_migrated: dict[str, str] = {}  # server -> its migrated template, built once per test process


def migrated_template(pg_base: str) -> str:
    """A template database migrated with reference data synced, built once per process (each xdist
    worker has its own server): every ``warehouse`` is a copy of it instead of a migration of its own."""
    if pg_base not in _migrated:
        from bansos.warehouse import reference
        from bansos.warehouse.database import migrate

        dsn = new_database(pg_base, "tmpl")
        migrate(dsn)
        reference.sync(dsn, load_province("21"))
        _migrated[pg_base] = freeze(pg_base, dsn)
    return _migrated[pg_base]


@contextmanager
def pipeline_env(pg_base: str, tmp_path_factory, name: str):
    """For module-scoped fixtures: a migrated warehouse with reference data in a database of its own, a
    data root, and the environment the steps read; ``mp`` sets more variables for the same scope."""
    dsn = new_database(pg_base, name, template=migrated_template(pg_base))
    root = tmp_path_factory.mktemp(f"{name}_data")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BANSOS_WAREHOUSE_URL", dsn)
        mp.setenv("BANSOS_DATA_ROOT", root.as_uri())
        mp.setenv("BANSOS_PSEUDONYM_KEY", KEY.decode())
        yield SimpleNamespace(dsn=dsn, root=root, mp=mp)


@dataclass(frozen=True)
class FrozenState:
    """A loaded warehouse frozen as a template database, and its data root as it was."""

    template: str  # copy it with new_database(pg_base, template=...) or restore(pg_base, template, dsn)
    root: Path  # the data root it was built in: the warehouse records every landed file by its full URI
    frozen: Path  # a copy of that data root (copies keep modification times): restore_root() puts it back
    result: object  # what the build returned (copy it before changing it)

    def restore_root(self) -> Path:
        """Put the data root back as it was when the state was frozen; returns it."""
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.copytree(self.frozen, self.root)
        return self.root

    def restore_into(self, pg_base: str, runtime_env: dict, monkeypatch) -> Path:
        """Make a test's ``runtime_env`` this state: its warehouse a copy of the template, its data root the
        state's, as it was. The copy lacks the database's owner and grants: run ``steps.prepare_warehouse``
        when a step needs them."""
        restore(pg_base, self.template, runtime_env["dsn"])
        root = self.restore_root()
        monkeypatch.setenv("BANSOS_DATA_ROOT", root.as_uri())
        runtime_env["root"] = root
        return root


_frozen: dict[tuple[str, str], FrozenState] = {}


def frozen_state(pg_base: str, tmp_path_factory, name: str, build: Callable) -> FrozenState:
    """The state ``build(env)`` makes in a fresh :func:`pipeline_env`, built once per test process and frozen.

    For what several modules start from (a month loaded and published): each takes a copy of the template
    database (half a second) instead of running the steps again. ``name`` identifies the state, so every
    module asking for it must pass the same ``build`` (keep it in ``tests/pipeline.py``); list the modules
    in :data:`SHARED_STATES` so that ``make check`` runs them on one worker.
    """
    key = (pg_base, name)
    if key not in _frozen:
        with pipeline_env(pg_base, tmp_path_factory, name) as env:
            result = build(env)
        frozen = env.root.with_name(env.root.name + "_frozen")
        shutil.copytree(env.root, frozen)
        _frozen[key] = FrozenState(freeze(pg_base, env.dsn), env.root, frozen, result)
    return _frozen[key]


@pytest.fixture
def warehouse(pg_base) -> str:
    """A migrated warehouse with reference data, in a database of its own (a copy of the migrated template)."""
    return new_database(pg_base, "wh", template=migrated_template(pg_base))


@pytest.fixture
def data_root(tmp_path) -> Path:
    root = tmp_path / "data"
    root.mkdir()
    return root


@pytest.fixture
def runtime_env(monkeypatch, warehouse, data_root):
    """Point bansos.warehouse.runtime at the test warehouse, data root and key, as Airflow's env would."""
    monkeypatch.setenv("BANSOS_WAREHOUSE_URL", warehouse)
    monkeypatch.setenv("BANSOS_DATA_ROOT", data_root.as_uri())
    monkeypatch.setenv("BANSOS_PSEUDONYM_KEY", KEY.decode())
    return {"dsn": warehouse, "root": data_root, "key": KEY}


def random_key() -> bytes:
    return secrets.token_bytes(32)


@pytest.fixture(scope="session")
def kepri2022(tmp_path_factory) -> Path:
    """The synthetic Kepri 2022 landing tree (84 files), generated once per run and only read.

    Under pytest-xdist the workers of a run share one tree (in the run's base folder, which holds each
    worker's own): the first to need it writes it under a lock, the others wait for it and read it; the
    generator is deterministic, so each would have written the same bytes (about 2 CPU-s each)."""
    from tools.synthetic import write_kepri_2022

    if not os.environ.get("PYTEST_XDIST_WORKER"):
        root = tmp_path_factory.mktemp("kepri2022")
        write_kepri_2022(root)
        return root
    shared = tmp_path_factory.getbasetemp().parent
    root = shared / f"kepri2022-{os.environ['PYTEST_XDIST_TESTRUNUID']}"  # this run's, never an earlier run's
    with open(shared / "kepri2022.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        if not root.exists():
            partial = root.with_name(root.name + ".partial")
            shutil.rmtree(partial, ignore_errors=True)
            write_kepri_2022(partial)
            partial.rename(root)  # whole or not at all: a worker that failed midway leaves no tree
    return root


@pytest.fixture
def s3_root(s3_server) -> str:
    """The data root in the session's S3 server (``tests/s3/server.py``, over real HTTP)."""
    return s3_server.root()


@pytest.fixture
def s3_runtime_env(monkeypatch, warehouse, s3_server, s3_root):
    """bansos.warehouse.runtime pointed at a test warehouse and an S3 data root, as the Airflow env would."""
    monkeypatch.setenv("BANSOS_WAREHOUSE_URL", warehouse)
    monkeypatch.setenv("BANSOS_DATA_ROOT", s3_root)
    monkeypatch.setenv("BANSOS_PSEUDONYM_KEY", KEY.decode())
    return {"dsn": warehouse, "root": s3_root, "key": KEY, "s3": s3_server}
