"""Who may do what in the warehouse: the pipeline owns it, the provincial office reads the marts only.

Two group roles (``NOLOGIN``), and people or services log in as members of them:

``bansos_pipeline``
    Owns the warehouse schemas (``ref``, ``raw``, ``staging``, ``core``, ``dq``, ``mart``) and everything
    in them, so a login in this role can migrate, stage, validate, merge and publish.
``bansos_mart_reader``
    ``SELECT`` on the ``mart`` schema and nothing else: no household or person hash, no submission,
    no archived file name, no validation example, no writes.

Why not in a migration: roles belong to the whole PostgreSQL server while migrations belong to one
database, the login that migrates may not be allowed to create roles (managed servers, a DBA who
keeps that to themselves), and grants must be re-asserted after every migration that adds a table.
So ``include/sql/warehouse/roles/create_roles.sql`` (idempotent; creates only what is missing, and only if
allowed, else warns with the statement the DBA should run) and ``include/sql/warehouse/roles/grants.sql``
(idempotent, per database) run from :func:`ensure_roles` after each migration step.

A login is a member of one of the roles (:func:`create_login`): a pipeline login's sessions switch
to ``bansos_pipeline`` (``ALTER ROLE ... SET role``) so everything it creates belongs to the role
and not to the person or service; a reader login's sessions are read-only by default too.
"""

from __future__ import annotations

import logging

from psycopg2 import sql

from bansos.warehouse import sqlfiles
from bansos.warehouse.database import connect

log = logging.getLogger(__name__)

PIPELINE_ROLE = "bansos_pipeline"
READER_ROLE = "bansos_mart_reader"
ROLES = (PIPELINE_ROLE, READER_ROLE)


def ensure_roles(dsn: str) -> dict[str, bool]:
    """Create the roles if missing (and allowed), then apply this database's ownership and grants.

    Run it as the warehouse's owner (the login that applies migrations), after
    :func:`bansos.warehouse.database.migrate`.
    Returns which roles exist afterwards; a missing one was logged as a warning with what to ask the DBA.
    """
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sqlfiles.read("warehouse/roles/create_roles.sql"))
        cur.execute(sqlfiles.read("warehouse/roles/grants.sql"))
        for notice in conn.notices:
            if notice.startswith("WARNING") and "bansos" in notice:
                log.warning("%s", notice.strip())
        cur.execute(sqlfiles.read("warehouse/roles/present_roles.sql"), (list(ROLES),))
        present = {name for (name,) in cur.fetchall()}
    return {role: role in present for role in ROLES}


def create_login(dsn: str, login: str, role: str, password: str | None = None) -> None:
    """Create (or update) a login that is a member of ``role``: one of :data:`ROLES`.

    For operators and tests; a DBA may do the same by hand. The password travels as a bind parameter.
    """
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, not {role!r}")
    ident = sql.Identifier(login)
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sqlfiles.read("warehouse/roles/login_exists.sql"), (login,))
        if cur.fetchone() is None:
            cur.execute(sqlfiles.compose("warehouse/roles/create_login.sql", login=ident))
        if password is not None:
            cur.execute(sqlfiles.compose("warehouse/roles/set_password.sql", login=ident), (password,))
        cur.execute(sqlfiles.compose("warehouse/roles/grant_role.sql", role=sql.Identifier(role), login=ident))
        if role == PIPELINE_ROLE:
            cur.execute(sqlfiles.compose("warehouse/roles/login_as_pipeline.sql", login=ident,
                                         pipeline_role=sql.Literal(PIPELINE_ROLE)))
        else:
            cur.execute(sqlfiles.compose("warehouse/roles/login_read_only.sql", login=ident))
