"""Start and stop Airflow 3's four long-running components as local processes.

Each component (scheduler, dag-processor, api-server, triggerer) runs in its own session with its
output in ``<state dir>/logs/<name>.log``, so nothing holds the caller's terminal and ``stop``
can end it and its children. The environment is what docker-compose.yaml sets, for one machine.

With ``executor="CeleryExecutor"`` the stack also starts a broker (Debian's ``redis-server``) and
Celery workers, each in a folder of its own (``<state dir>/workers/<n>``: its AIRFLOW_HOME, TMPDIR,
working directory and task-log folder) as if each were another machine without a shared disk: a task
that leaves a file for the next one on its worker's disk fails the day the next one runs elsewhere.
The api-server reads a task's log from its worker's log server at ``http://<TI hostname>:<[logging]
worker_log_server_port>``, one port for every worker, so the workers are told apart by address as
separate machines are: worker n reports itself as and serves its logs on 127.0.0.<n+1> (Linux answers
the whole 127.0.0.0/8 on loopback).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from tools import PROJECT_ROOT

COMPONENTS = ("scheduler", "dag-processor", "triggerer", "api-server")
EXECUTORS = ("LocalExecutor", "CeleryExecutor")
# [workers] min_heartbeat_interval, as docker-compose.yaml sets it too (tests/tools/test_devstack_airflow.py)
WORKER_HEARTBEAT_SECONDS = "1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _secret(state_dir: Path, name: str) -> str:
    path = state_dir / "secrets" / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def environment(
    state_dir: Path,
    *,
    metadata_uri: str,
    port: int,
    extra: dict[str, str],
    executor: str = "LocalExecutor",
) -> dict[str, str]:
    """Airflow settings for a local stack over PostgreSQL (LocalExecutor, or Celery with a local broker)."""
    if executor not in EXECUTORS:
        raise ValueError(f"executor {executor!r}: one of {', '.join(EXECUTORS)}")
    home = state_dir / "airflow"
    home.mkdir(parents=True, exist_ok=True)
    passwords = home / "simple_auth_manager_passwords.json"
    if not passwords.exists():
        passwords.write_text(json.dumps({"admin": _secret(state_dir, "airflow-admin-password")}))
    env = dict(os.environ)
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "8",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_uri,
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
            "AIRFLOW__API_AUTH__JWT_SECRET": _secret(state_dir, "jwt-secret"),
            "AIRFLOW__API__SECRET_KEY": _secret(state_dir, "api-secret-key"),
            # The demo's year is 2022: no scheduled run for "last month" (2026, no data) when the DAG is unpaused.
            "BANSOS_SCHEDULE_END": "2022-12-31T23:59:59+07:00",
            # new DAG files show within 30 s, and a DAG file that changes is parsed again at that look (its
            # modification time); an unchanged one every 10 minutes, not every 2: a demo's files never change
            # and each parse is about 0.5 CPU-s (a change in a module a DAG file imports, e.g.
            # dags/bansos_monthly.py, shows when the DAG file is touched)
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "600",
            # the scheduler looks again after 0.5 s, not 1 s, when a loop found nothing to do: the next task
            # of a run waits for that look (the hops between dependent tasks). An idle scheduler then costs
            # 3.8 CPU-s a minute instead of 2.2 (0.25 s: 5.6); docs/decisions.md
            "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.5",
            # a task's supervisor notices its process has exited within 1 s, not 5: when the process's sockets
            # close before it can be reaped, the supervisor sleeps out this interval holding the executor slot
            # (and a skipped task's end is reported that late); heartbeats at most once a second. The demo
            # 197 -> 159 s back to back; docs/decisions.md
            "AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL": WORKER_HEARTBEAT_SECONDS,
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
            "GX_ANALYTICS_ENABLED": "false",
            "PYTHONPATH": os.pathsep.join(
                p
                for p in (
                    str(PROJECT_ROOT / "src"),  # this checkout's bansos, before any installed copy
                    str(PROJECT_ROOT / "config"),
                    env.get("PYTHONPATH", ""),
                )
                if p
            ),
            "NO_COLOR": "1",
        }
    )
    # log servers on ports of this stack's own: two stacks on one machine (tests beside a demo) would
    # otherwise both take 8793/8794, and the second one's task logs could not be read in the UI
    ports = _ports(state_dir)
    env["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"] = str(ports["worker_logs"])
    env["AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT"] = str(ports["trigger_logs"])
    if executor == "CeleryExecutor":
        env.update(_celery_settings(state_dir))
    env.update(extra)
    return env


def _ports(state_dir: Path) -> dict[str, int]:
    """The stack's broker and log-server ports, chosen once and kept with its state."""
    ports_file = state_dir / "airflow.ports.json"
    if not ports_file.exists():
        ports_file.write_text(json.dumps({name: free_port() for name in ("broker", "worker_logs", "trigger_logs")}))
    return json.loads(ports_file.read_text())


def _celery_settings(state_dir: Path) -> dict[str, str]:
    """Broker and result backend on the stack's redis-server."""
    ports = _ports(state_dir)
    broker = f"redis://127.0.0.1:{ports['broker']}"
    return {
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__CELERY__BROKER_URL": f"{broker}/0",
        "AIRFLOW__CELERY__RESULT_BACKEND": f"{broker}/1",
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": "3",
    }


def worker_address(index: int) -> str:
    """Worker ``index`` (from 1) as another machine: its own loopback address."""
    return f"127.0.0.{index + 1}"


def worker_dir(state_dir: Path, index: int) -> Path:
    return state_dir / "workers" / str(index)


def worker_environment(state_dir: Path, env: dict[str, str], index: int) -> dict[str, str]:
    """Worker ``index``'s settings: the stack's, with a home, temp folder and log folder of its own.

    The task runner records ``[core] hostname_callable`` as the task instance's hostname; a one-line
    module in the worker's own folder answers the worker's address.
    """
    root = worker_dir(state_dir, index)
    home, tmp, site = root / "airflow", root / "tmp", root / "site"
    for path in (home, tmp, site):
        path.mkdir(parents=True, exist_ok=True)
    (site / "bansos_worker_address.py").write_text(
        '"""This worker\'s address: the hostname its task instances record."""\n\n\n'
        f"def address() -> str:\n    return {worker_address(index)!r}\n"
    )
    worker = dict(env)
    worker.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": "bansos_worker_address.address",
            "TMPDIR": str(tmp),
            "PYTHONPATH": os.pathsep.join(p for p in (str(site), env.get("PYTHONPATH", "")) if p),
        }
    )
    return worker


def _spawn(args: list[str], env: dict[str, str], log: Path, cwd: Path | None = None) -> int:
    out = open(log, "ab")  # noqa: SIM115 - handed to the child process
    proc = subprocess.Popen(
        args, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
    )
    return proc.pid


def redis_server() -> str:
    found = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(found).exists():
        raise FileNotFoundError("redis-server not found: `make install` adds Debian's redis-server")
    return found


def start_celery(state_dir: Path, env: dict[str, str], workers: int) -> dict[str, int]:
    """The broker, then ``workers`` Celery workers, each with its log server on its own address."""
    log_dir = state_dir / "logs"
    ports = _ports(state_dir)
    data = state_dir / "redis"
    data.mkdir(parents=True, exist_ok=True)
    pids = {
        "redis": _spawn(
            [
                redis_server(),
                "--port",
                str(ports["broker"]),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(data),
            ],
            env,
            log_dir / "redis.log",
        )
    }
    for index in range(1, workers + 1):
        wenv = worker_environment(state_dir, env, index)
        root = worker_dir(state_dir, index)
        pids[f"worker-{index}"] = _spawn(
            [
                _airflow_bin(),
                "celery",
                "worker",
                "--skip-serve-logs",
                "--celery-hostname",
                f"worker{index}@{worker_address(index)}",
            ],
            wenv,
            log_dir / f"worker-{index}.log",
            cwd=root,
        )
        pids[f"worker-{index}-logs"] = _spawn(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "airflow.utils.serve_logs.log_server:get_app",
                "--host",
                worker_address(index),
                "--port",
                str(ports["worker_logs"]),
                "--no-access-log",
            ],
            wenv,
            log_dir / f"worker-{index}-logs.log",
            cwd=root,
        )
    return pids


def _airflow_bin() -> str:
    return str(Path(sys.executable).with_name("airflow"))


def migrate_metadata(env: dict[str, str], log_dir: Path) -> None:
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / "db-migrate.log", "ab") as out:
        subprocess.run(
            [_airflow_bin(), "db", "migrate"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            check=True,
        )


def start(state_dir: Path, env: dict[str, str], workers: int = 0) -> dict[str, int]:
    """The four components; with the CeleryExecutor also the broker and ``workers`` workers (at least 1)."""
    log_dir = state_dir / "logs"
    migrate_metadata(env, log_dir)
    pids = {}
    if env.get("AIRFLOW__CORE__EXECUTOR") == "CeleryExecutor":
        pids |= start_celery(state_dir, env, max(workers, 1))
    for name in COMPONENTS:
        out = open(log_dir / f"{name}.log", "ab")  # noqa: SIM115 - handed to the child process
        proc = subprocess.Popen(
            [_airflow_bin(), name],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        pids[name] = proc.pid
    (state_dir / "airflow.pids.json").write_text(json.dumps(pids))
    return pids


def running(state_dir: Path) -> dict[str, int]:
    path = state_dir / "airflow.pids.json"
    if not path.exists():
        return {}
    pids = json.loads(path.read_text())
    alive = {}
    for name, pid in pids.items():
        try:
            os.kill(pid, 0)
            alive[name] = pid
        except ProcessLookupError:
            pass
    return alive


def stop(state_dir: Path, timeout: float = 20) -> None:
    pids = running(state_dir)
    for pid in pids.values():
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and running(state_dir):
        time.sleep(0.5)
    for pid in running(state_dir).values():
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    (state_dir / "airflow.pids.json").unlink(missing_ok=True)
