"""SQL lives in ``include/sql/`` as files; this module reads them and fills in identifiers safely.

Values always travel as bind parameters (``%(name)s``); table names that vary per submission
(``staging.submission_42``) are filled in with :mod:`psycopg2.sql` identifiers, never by string
formatting, so no SQL text is built from data.
"""

from __future__ import annotations

import hashlib
from functools import cache

from psycopg2 import sql

from bansos.domain.resources import SQL_DIR


@cache
def read(name: str) -> str:
    """The text of ``include/sql/<name>``."""
    path = SQL_DIR / name
    if not path.is_file():
        raise FileNotFoundError(f"SQL file {name} not found under {SQL_DIR}")
    return path.read_text(encoding="utf-8")


def compose(name: str, **identifiers: sql.Composable) -> sql.Composed:
    """The SQL file with ``{placeholders}`` replaced by the given identifiers or literals."""
    return sql.SQL(read(name)).format(**identifiers)


def statements(text: str) -> list[str]:
    """Split a plain SQL script (no ``$$`` bodies) into statements, so a COPY among them can stream."""
    if "$$" in text:
        raise ValueError("statements() cannot split scripts with $$ bodies")
    parts = [part.strip() for part in text.split(";\n")]
    return [p.rstrip(";") for p in parts if p and not all(line.startswith("--") for line in p.splitlines())]


def run_script(cur, text: str, params: dict | None = None, stream=None) -> int | None:
    """Run each statement of a script; the COPY ... FROM STDIN statement reads ``stream``.

    Returns the row count of the COPY, if there was one.
    """
    copied = None
    for statement in statements(text):
        body = "\n".join(line for line in statement.splitlines() if not line.startswith("--")).strip()
        if body.upper().startswith("COPY") and "FROM STDIN" in body.upper():
            if stream is None:
                raise ValueError("the script has a COPY FROM STDIN but no stream was given")
            cur.copy_expert(body, stream)
            copied = cur.rowcount
        else:
            cur.execute(body, params)
    return copied


def run_token(run_id: str) -> str:
    """Eight hex digits naming a run in its staging tables (run ids are long and full of punctuation)."""
    return hashlib.sha256(run_id.encode("utf-8")).hexdigest()[:8]


# The work tables of stage/build_ids.sql and build_checked.sql, and of merge/new_keys.sql (UNLOGGED tables, not
# temp ones, so PostgreSQL's parallel workers can read them). Stage's are created and dropped inside its one
# transaction; merge's are made on a second connection of the merge and committed there, and dropped by the merge's
# transaction (or by a retry, or the staging sweep, if it fails).
STAGE_WORK_TABLES = ("ids", "seen")
MERGE_WORK_TABLES = ("new_households", "new_persons", "source_totals")


def staging_table(submission_id: int, kind: str, run_id: str) -> sql.Identifier:
    """The staging table of one run's claim on a submission: ``raw`` rows as COPYed, ``checked`` rows
    with rule facts, or one of :data:`STAGE_WORK_TABLES` and :data:`MERGE_WORK_TABLES`. Named per run
    (``staging.submission_42_1a2b3c4d_checked``), so two runs of one month never share a table, and a retry of
    the same run finds its own."""
    if kind not in {"raw", "checked", *STAGE_WORK_TABLES, *MERGE_WORK_TABLES}:
        raise ValueError(kind)
    return sql.Identifier("staging", f"submission_{int(submission_id)}_{run_token(run_id)}_{kind}")
