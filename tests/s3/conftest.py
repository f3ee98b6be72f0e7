"""The pipeline pointed at the session's S3 server (``tests/s3/server.py``, over real HTTP)."""

from __future__ import annotations

import pytest

from tests.conftest import KEY
from tests.warehouse.conftest import kepri2022  # noqa: F401  (the synthetic 2022 files, once per session)


@pytest.fixture
def s3_root(s3_server) -> str:
    return s3_server.root()


@pytest.fixture
def s3_runtime_env(monkeypatch, warehouse, s3_server, s3_root):
    """bansos.warehouse.runtime pointed at a test warehouse and an S3 data root, as the Airflow env would."""
    monkeypatch.setenv("BANSOS_WAREHOUSE_URL", warehouse)
    monkeypatch.setenv("BANSOS_DATA_ROOT", s3_root)
    monkeypatch.setenv("BANSOS_PSEUDONYM_KEY", KEY.decode())
    return {"dsn": warehouse, "root": s3_root, "key": KEY, "s3": s3_server}
