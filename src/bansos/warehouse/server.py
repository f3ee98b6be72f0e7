"""What the warehouse asks of its PostgreSQL server: a version, and the settings for bulk work.

The migrations use PostgreSQL 18 (foreign keys ``NOT ENFORCED``, migration 0040), and every test runs on 18.
An older server would fail half-way through a migration with a syntax error; :func:`require_version` refuses
it first, naming both versions. The recommended settings are one file, ``include/config/postgresql/
warehouse.conf``, read here for the embedded servers (``tools/devstack``) and kept equal to docker-compose's
``warehouse-db`` by its test, so the demo, the benchmark and a deployment run on the same configuration.
"""

from __future__ import annotations

import re

from bansos.domain.resources import CONFIG_DIR
from bansos.warehouse import sqlfiles

MIN_SERVER_VERSION = 180000  # server_version_num: 18.0
SETTINGS_FILE = CONFIG_DIR / "postgresql" / "warehouse.conf"

_SETTING = re.compile(r"^\s*([a-z_][a-z0-9_.]*)\s*=\s*'([^']*)'\s*(?:#.*)?$")


class ServerTooOld(RuntimeError):
    """The warehouse server is older than the migrations need: a deployment's error, not the data's."""


def require_version(cur, minimum: int | None = None) -> int:
    """The server's ``server_version_num``; :class:`ServerTooOld` if it is below ``minimum``
    (:data:`MIN_SERVER_VERSION` when not given)."""
    minimum = MIN_SERVER_VERSION if minimum is None else minimum
    cur.execute(sqlfiles.read("warehouse/migrate/server_version.sql"))
    number, name = cur.fetchone()
    if number < minimum:
        raise ServerTooOld(
            f"the warehouse server is PostgreSQL {name}; the migrations need {minimum // 10000} or later "
            f"(include/config/postgresql/warehouse.conf, README 'Running against a real PostgreSQL and S3')"
        )
    return number


def recommended_settings() -> tuple[tuple[str, str], ...]:
    """The (name, value) pairs of ``include/config/postgresql/warehouse.conf``, in file order.

    Only ``name = 'value'`` lines and comments are allowed, so the file reads the same to PostgreSQL's
    ``include`` and to this; anything else is an error rather than a setting silently left out."""
    pairs = []
    for number, line in enumerate(SETTINGS_FILE.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _SETTING.match(line)
        if match is None:
            raise ValueError(f"{SETTINGS_FILE.name} line {number}: not a name = 'value' setting: {line.strip()!r}")
        pairs.append((match.group(1), match.group(2)))
    return tuple(pairs)


def settings_below(cur) -> list[tuple[str, str, str]]:
    """(name, the server's value, the recommended value) for each recommended setting the server runs below:
    a size or a time by its amount, anything else by its text."""
    settings = recommended_settings()
    if not settings:  # a file of comments only recommends nothing
        return []
    names, values = zip(*settings, strict=True)
    cur.execute(sqlfiles.read("warehouse/migrate/settings_below.sql"), {"names": list(names), "values": list(values)})
    return [tuple(row) for row in cur.fetchall()]
