"""Connections to the PostgreSQL warehouse and the one migration step that brings it up to date.

The warehouse is addressed by a libpq URI (``postgresql://user:pw@host:5432/bansos`` or, for the
embedded server, ``postgresql://postgres@/bansos?host=/path/to/socket``). The same URI serves
psycopg2 (COPY, merges) and SQLAlchemy (Great Expectations).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
import psycopg2.extensions

from bansos.domain.resources import SQL_DIR
from bansos.warehouse import sqlfiles

log = logging.getLogger(__name__)

MIGRATIONS_DIR = SQL_DIR / "migrations"


@contextmanager
def connect(dsn: str, *, autocommit: bool = False) -> Iterator[psycopg2.extensions.connection]:
    """A connection that commits on success and rolls back on error."""
    conn = psycopg2.connect(dsn, application_name="bansos")
    conn.autocommit = autocommit
    try:
        yield conn
        if not autocommit:
            conn.commit()
    except BaseException:
        if not autocommit:
            conn.rollback()
        raise
    finally:
        conn.close()


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
    append-only.
    """
    applied: list[str] = []
    with exclusive(dsn, "bansos:migrate") as cur:
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
