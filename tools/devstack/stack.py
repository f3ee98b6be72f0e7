"""Bring up the local stack: databases, settings, Airflow; and take it down again."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tools import PROJECT_ROOT
from tools.devstack import airflow, postgres
from tools.devstack.api import AirflowAPI

DEFAULT_STATE_DIR = PROJECT_ROOT / ".demo"


@dataclass
class Stack:
    state_dir: Path
    warehouse_url: str
    metadata_url: str
    data_root: str
    port: int
    env: dict[str, str]
    workers: int = 0  # Celery workers (CeleryExecutor); 0 with the LocalExecutor

    @property
    def ui_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def admin_password(self) -> str:
        return (self.state_dir / "secrets" / "airflow-admin-password").read_text().strip()

    def api(self) -> AirflowAPI:
        return AirflowAPI(self.ui_url, "admin", self.admin_password)


def configure(
    state_dir: Path = DEFAULT_STATE_DIR,
    *,
    port: int | None = None,
    data_root: str | None = None,
    extra: dict[str, str] | None = None,
    executor: str = "LocalExecutor",
    workers: int = 2,
) -> Stack:
    """Settings for a stack in ``state_dir``: configured servers if given, else the embedded one.

    ``executor="CeleryExecutor"`` adds a local broker and ``workers`` workers, each in its own folder.
    """
    state_dir.mkdir(parents=True, exist_ok=True)
    warehouse = os.environ.get("BANSOS_WAREHOUSE_URL")
    metadata = os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN")
    if not warehouse or not metadata:
        base = postgres.start(state_dir, postgres.WAREHOUSE_SETTINGS)
        warehouse = warehouse or postgres.ensure_database(base, "bansos")
        metadata = metadata or postgres.sqlalchemy(postgres.ensure_database(base, "airflow"))
    port_file = state_dir / "airflow.port"
    if port is None:
        port = int(port_file.read_text()) if port_file.exists() else int(os.environ.get("BANSOS_AIRFLOW_PORT", 8080))
    port_file.write_text(str(port))
    data_root = data_root or os.environ.get("BANSOS_DATA_ROOT") or (PROJECT_ROOT / "data").as_uri()
    key = os.environ.get("BANSOS_PSEUDONYM_KEY") or airflow._secret(state_dir, "pseudonym-key")
    bansos_env = {
        "BANSOS_WAREHOUSE_URL": warehouse,
        "BANSOS_DATA_ROOT": data_root,
        "BANSOS_PSEUDONYM_KEY": key,
        # the demo and the end-to-end tests land their files with a single write, seconds before a run
        "BANSOS_LANDING_SETTLE_SECONDS": os.environ.get("BANSOS_LANDING_SETTLE_SECONDS", "2"),
    } | (extra or {})
    env = airflow.environment(state_dir, metadata_uri=metadata, port=port, extra=bansos_env, executor=executor)
    return Stack(state_dir, warehouse, metadata, data_root, port, env, workers if executor == "CeleryExecutor" else 0)


def up(stack: Stack) -> None:
    """Start Airflow unless it already runs for this state dir, then wait until it answers."""
    if not airflow.running(stack.state_dir):
        airflow.start(stack.state_dir, stack.env, workers=stack.workers)
    stack.api().wait_healthy()


def down(state_dir: Path = DEFAULT_STATE_DIR, *, stop_postgres: bool = True) -> None:
    airflow.stop(state_dir)
    if stop_postgres:
        postgres.stop(state_dir)
