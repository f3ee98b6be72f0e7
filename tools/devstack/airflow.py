"""Start and stop Airflow 3's four long-running components as local processes.

Each component (scheduler, dag-processor, api-server, triggerer) runs in its own session with its
output in ``<state dir>/logs/<name>.log``, so nothing holds the caller's terminal and ``stop``
can end it and its children. The environment is what docker-compose.yaml sets, for one machine.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from tools import PROJECT_ROOT

COMPONENTS = ("scheduler", "dag-processor", "triggerer", "api-server")


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


def environment(state_dir: Path, *, metadata_uri: str, port: int, extra: dict[str, str]) -> dict[str, str]:
    """Airflow settings for a local LocalExecutor stack over PostgreSQL."""
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
            # new DAG files show within 30 s; a file already parsed is parsed again every 2 minutes, not
            # every 30 s (each parse imports the domain package: CPU the two cores need for the runs)
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "120",
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
    env.update(extra)
    return env


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


def start(state_dir: Path, env: dict[str, str]) -> dict[str, int]:
    log_dir = state_dir / "logs"
    migrate_metadata(env, log_dir)
    pids = {}
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
