"""The libraries a process that forks task processes imports once, so every task finds them in memory.

Importing Great Expectations costs 4 to 5 CPU-seconds, more than a small file's validation; pandas and
psycopg2 come with it. Airflow's scheduler and workers call :func:`heavy_libraries` at start
(``config/airflow_local_settings.py``), so a validate task forked from them pays none of it
(docs/decisions.md, "Heavy libraries are preloaded in the components that fork task processes"). The
benchmark's child processes call it too before their clock starts, so its step (c) measures what the
deployed task does, not an import the deployment never repeats. No Airflow here: the benchmark runs without it.
"""

from __future__ import annotations

import os


def heavy_libraries() -> None:
    """Import GX, pandas, psycopg2 and the steps the DAGs' tasks call (and everything they import), and read
    the list of Data Docs assets every validation publishes (GX's installed files listed and hashed: about
    5 % of a forked validate task's CPU when each task read it again)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations  # noqa: F401
    import pandas  # noqa: F401
    import psycopg2  # noqa: F401

    import bansos.orchestration.steps  # noqa: F401
    from bansos.validate import datadocs

    datadocs.assets()  # what a validation's Data Docs load, with their checksums: read once, kept in memory
    datadocs.replacements()
