"""Connections to the PostgreSQL warehouse and the one migration step that brings it up to date.

The warehouse is addressed by a libpq URI (``postgresql://user:pw@host:5432/bansos`` or, for the
embedded server, ``postgresql://postgres@/bansos?host=/path/to/socket``). The same URI serves
psycopg2 (COPY, merges) and SQLAlchemy (Great Expectations).
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
import psycopg2.extensions

from bansos.domain.resources import SQL_DIR
from bansos.warehouse import server, sqlfiles

log = logging.getLogger(__name__)

MIGRATIONS_DIR = SQL_DIR / "migrations"


# Sessions kept for the next connect() of this process, most recent last, by URI. A new PostgreSQL session costs
# the server a process and, on its first statements, its catalogue caches: 5 to 20 CPU-ms, paid about ten
# times per kab/kota-month when every block opened its own (docs/decisions.md, "Sessions kept between blocks").
_idle: dict[str, list[psycopg2.extensions.connection]] = {}
_idle_lock = threading.Lock()
_owner = os.getpid()
_inherited: list = []  # a forked child's copy of its parent's sessions: never used, never closed (see below)
IDLE_PER_URI = 2  # a step rarely holds more than two at once
IDLE_TOTAL = 6  # tests open hundreds of databases: keep only the most recent sessions


def _forget_inherited() -> None:
    """In a forked child: the parent's kept sessions share their sockets with the parent, so the child must
    neither use them nor close them (closing sends the server a goodbye that ends the parent's session);
    they are moved aside, referenced until the child exits."""
    global _owner, _idle_lock
    _inherited.append(dict(_idle))
    _idle.clear()
    _idle_lock = threading.Lock()  # another thread of the parent may have held it at the fork
    _owner = os.getpid()


os.register_at_fork(after_in_child=_forget_inherited)


def _checkout(dsn: str) -> psycopg2.extensions.connection | None:
    while True:
        with _idle_lock:
            kept = _idle.get(dsn)
            conn = kept.pop() if kept else None
        if conn is None:
            return None
        try:
            with conn.cursor() as cur:
                cur.execute(sqlfiles.read("warehouse/ping.sql"))
            return conn
        except psycopg2.Error:  # ended while it waited (a restart, an administrator): take another
            conn.close()


def _checkin(dsn: str, conn: psycopg2.extensions.connection) -> None:
    """Keep ``conn`` for the next connect() to ``dsn``, as clean as a new session, or close it."""
    if conn.closed or os.getpid() != _owner:
        conn.close()
        return
    try:
        if conn.info.transaction_status != psycopg2.extensions.TRANSACTION_STATUS_IDLE:
            conn.rollback()
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sqlfiles.read("warehouse/discard.sql"))
        # kept in autocommit, so the ping before its next use opens no transaction
        conn.set_session(isolation_level="DEFAULT", readonly="DEFAULT", deferrable="DEFAULT", autocommit=True)
        conn.notices.clear()
    except psycopg2.Error:
        conn.close()
        return
    evicted = []
    with _idle_lock:
        kept = _idle.pop(dsn, [])
        _idle[dsn] = kept  # the URI used last goes last: the first ones are evicted first
        kept.append(conn)
        if len(kept) > IDLE_PER_URI:
            evicted.append(kept.pop(0))
        while sum(len(v) for v in _idle.values()) > IDLE_TOTAL:
            oldest = next(uri for uri, v in _idle.items() if v)
            evicted.append(_idle[oldest].pop(0))
        for uri in [uri for uri, v in _idle.items() if not v]:
            del _idle[uri]
    for old in evicted:
        old.close()


def close_idle() -> None:
    """Close the sessions kept for reuse (before a database they are connected to is copied or dropped)."""
    with _idle_lock:
        kept = [conn for conns in _idle.values() for conn in conns]
        _idle.clear()
    for conn in kept:
        conn.close()


atexit.register(close_idle)  # say goodbye to the server rather than drop the socket


@contextmanager
def connect(dsn: str, *, autocommit: bool = False) -> Iterator[psycopg2.extensions.connection]:
    """A connection that commits on success and rolls back on error.

    The session is kept for the next block of this process that asks for the same ``dsn`` (a few at most),
    reset to the state of a new one (``DISCARD ALL``: no temporary table, setting or lock survives), and
    checked to be alive before it is handed out again. A block that closes its connection ends it for good.
    """
    conn = _checkout(dsn) or psycopg2.connect(dsn, application_name="bansos")
    conn.autocommit = autocommit
    try:
        yield conn
        if not autocommit and not conn.closed:
            conn.commit()
    except BaseException:
        if not autocommit and not conn.closed:
            try:
                conn.rollback()
            except psycopg2.Error:
                conn.close()
        raise
    finally:
        _checkin(dsn, conn)


@contextmanager
def exclusive(dsn: str, name: str) -> Iterator[psycopg2.extensions.cursor]:
    """Hold the session advisory lock ``name`` for the duration of the block; yields its cursor.

    The cursor is on an autocommit connection: the block may run its own ``BEGIN``/``COMMIT`` on it
    (:func:`migrate`), or run several transactions on other connections that must not interleave
    with the same work from another process (:func:`bansos.orchestration.steps.prepare_warehouse`).
    """
    with connect(dsn, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(sqlfiles.read("warehouse/advisory_lock.sql"), (name,))
        try:
            yield cur
        finally:
            if conn.info.transaction_status != psycopg2.extensions.TRANSACTION_STATUS_IDLE:
                cur.execute(sqlfiles.read("warehouse/rollback.sql"))  # a failed BEGIN ... COMMIT of the block's own
            cur.execute(sqlfiles.read("warehouse/advisory_unlock.sql"), (name,))


def sqlalchemy_url(dsn: str) -> str:
    """The same server as a SQLAlchemy URL (psycopg2 driver)."""
    scheme, rest = dsn.split("://", 1)
    if scheme not in {"postgres", "postgresql"}:
        raise ValueError(f"not a PostgreSQL URI: {scheme}://...")
    return f"postgresql+psycopg2://{rest}"


def migrate(dsn: str) -> list[str]:
    """Apply the versioned files of ``include/sql/migrations`` that are not applied yet.

    Each file runs in its own transaction, under an advisory lock, so that two processes may call
    this at once. A file whose text changed after it was applied is an error: migrations are
    append-only. A server older than the migrations need is refused before any of them runs
    (:func:`bansos.warehouse.server.require_version`).
    """
    applied: list[str] = []
    with exclusive(dsn, "bansos:migrate") as cur:
        server.require_version(cur)
        cur.execute(sqlfiles.read("warehouse/migrate/schema_migration.sql"))
        cur.execute(sqlfiles.read("warehouse/migrate/applied.sql"))
        done = dict(cur.fetchall())
        for path in sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql")):
            text = path.read_text(encoding="utf-8")
            checksum = hashlib.sha256(text.encode()).hexdigest()
            if path.name in done:
                if done[path.name] != checksum:
                    raise RuntimeError(
                        f"migration {path.name} was changed after it was applied; add a new file instead"
                    )
                continue
            log.info("applying migration %s", path.name)
            cur.execute(sqlfiles.read("warehouse/begin.sql"))
            cur.execute(text)
            cur.execute(sqlfiles.read("warehouse/migrate/record.sql"), (path.name, checksum))
            cur.execute(sqlfiles.read("warehouse/commit.sql"))
            applied.append(path.name)
    return applied
