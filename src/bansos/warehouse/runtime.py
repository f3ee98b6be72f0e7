"""Where a task finds its warehouse, its data root and its pseudonymisation key.

Environment variables win (they are how ``make demo``, the tests and docker-compose configure a
run); otherwise Airflow connections are read, the usual way to keep secrets in a deployment:

=========================  ==============================  =========================================
setting                    environment variable            Airflow connection (id from env)
=========================  ==============================  =========================================
warehouse                  ``BANSOS_WAREHOUSE_URL``        ``bansos_warehouse`` (postgres)
data root (4 areas)        ``BANSOS_DATA_ROOT``            -- (``file://<cwd>/data`` by default)
S3 client for ``s3://``    ``BANSOS_S3_ENDPOINT_URL``      ``bansos_s3`` (aws; ``endpoint_url`` extra)
pseudonymisation key       ``BANSOS_PSEUDONYM_KEY``        ``bansos_pseudonym_key`` (password)
=========================  ==============================  =========================================

Airflow is imported lazily, so the domain package still imports and tests without it.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

from bansos.domain.storage import Store, open_store


class ConfigurationError(RuntimeError):
    """A setting the pipeline needs is missing; the message says which and where to put it."""


def _airflow_connection(conn_id: str):
    try:
        from airflow.sdk import Connection
    except ImportError:  # not running under Airflow
        return None
    try:
        return Connection.get(conn_id)
    except Exception:  # noqa: BLE001 - "not found" differs across Airflow versions
        return None


def warehouse_dsn() -> str:
    if url := os.environ.get("BANSOS_WAREHOUSE_URL"):
        return url
    conn_id = os.environ.get("BANSOS_WAREHOUSE_CONN_ID", "bansos_warehouse")
    conn = _airflow_connection(conn_id)
    if conn is None:
        raise ConfigurationError(
            f"no warehouse configured: set BANSOS_WAREHOUSE_URL or the Airflow connection '{conn_id}'"
        )
    auth = quote(conn.login or "", safe="")
    if conn.password:
        auth += ":" + quote(conn.password, safe="")
    host = conn.host or ""
    if host.startswith("/"):  # a unix socket directory
        return f"postgresql://{auth}@/{conn.schema or 'bansos'}?host={host}"
    port = f":{conn.port}" if conn.port else ""
    return f"postgresql://{auth}@{host}{port}/{conn.schema or 'bansos'}"


def data_root() -> str:
    """``BANSOS_DATA_ROOT``, else ``data/`` under ``BANSOS_PROJECT_ROOT`` or the current folder.

    The package may be installed from a wheel, with no checkout to put ``data/`` in: the default
    follows where the pipeline runs (``make demo``, the tests and compose all set the root).
    """
    if root := os.environ.get("BANSOS_DATA_ROOT"):
        return root
    return (Path(os.environ.get("BANSOS_PROJECT_ROOT", ".")).resolve() / "data").as_uri()


def _s3_client():
    conn_id = os.environ.get("BANSOS_AWS_CONN_ID", "bansos_s3")
    if os.environ.get("BANSOS_S3_ENDPOINT_URL") or _airflow_connection(conn_id) is None:
        import boto3

        return boto3.client("s3", endpoint_url=os.environ.get("BANSOS_S3_ENDPOINT_URL"))
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    return S3Hook(aws_conn_id=conn_id).get_conn()


def store() -> Store:
    return open_store(data_root(), s3_client_factory=_s3_client)


def pseudonym_key() -> bytes:
    """The key as configured, refused here if too short (HMAC-SHA256 wants at least 32 bytes of secret).

    Which key a warehouse was built with is checked at merge time (:func:`bansos.warehouse.pseudonyms.check_key`).
    """
    if key := os.environ.get("BANSOS_PSEUDONYM_KEY"):
        return _long_enough(key.encode(), "BANSOS_PSEUDONYM_KEY")
    conn_id = os.environ.get("BANSOS_PSEUDONYM_CONN_ID", "bansos_pseudonym_key")
    conn = _airflow_connection(conn_id)
    if conn is None or not conn.password:
        raise ConfigurationError(
            f"no pseudonymisation key: set BANSOS_PSEUDONYM_KEY or the password of Airflow connection '{conn_id}'"
        )
    return _long_enough(conn.password.encode(), f"the password of Airflow connection '{conn_id}'")


def _long_enough(key: bytes, source: str) -> bytes:
    if len(key) < 32:
        raise ConfigurationError(f"the pseudonymisation key in {source} is {len(key)} bytes; at least 32 are needed")
    return key
