"""One DagBag of ``dags/`` for the DAG tests, parsed as the dag-processor parses it, once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bansos.domain.config import PROVINCES_DIR

ROOT = Path(__file__).resolve().parents[2]
CODES = sorted(p.name.split("-", 1)[0] for p in PROVINCES_DIR.glob("*.toml"))


@pytest.fixture(scope="session")
def dagbag(tmp_path_factory):
    os.environ.setdefault("AIRFLOW_HOME", str(tmp_path_factory.mktemp("airflow_home")))
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(ROOT / "dags")
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(ROOT / "dags"))
