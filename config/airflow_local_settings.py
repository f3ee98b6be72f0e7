"""Airflow local settings: preload the heavy libraries in the processes that fork task processes.

Airflow imports this module at start in every component. Task processes are forked from the
scheduler's LocalExecutor workers (or from a Celery worker), so a library imported here is
already in memory in every task: Great Expectations' import, the costliest, would otherwise be paid
again by every validate task (``docs/decisions.md``). Every task process also parses its DAG file
first: the modules the DAG file imports, and the provider scan Airflow runs the first time an Asset is
built, are done here once instead of in each task process of a monthly run. Other components
(api-server, dag-processor, triggerer) skip the preload. Set BANSOS_PRELOAD=0 to turn it off.
"""

from __future__ import annotations

import os
import sys

_FORKING_COMPONENTS = {"scheduler", "worker", "celery"}

if os.environ.get("BANSOS_PRELOAD", "1") == "1" and _FORKING_COMPONENTS & set(sys.argv[1:3]):
    from bansos.orchestration import preload

    preload.heavy_libraries()  # GX, pandas, psycopg2, the DAG's task functions and everything they import

    from airflow.sdk import CronDataIntervalTimetable, Param, dag, task, task_group  # noqa: F401

    import bansos.alert.callbacks  # noqa: F401  (what the DAG file imports besides the steps)
    import bansos.orchestration.answers  # noqa: F401
    import bansos.orchestration.approval  # noqa: F401  (with the HITL and TriggerDagRun operators it imports)
    import bansos.orchestration.waiting  # noqa: F401
    import bansos.publish.publication  # noqa: F401
    from bansos.orchestration import assets

    assets.mart_asset("00")  # the first Asset built scans the providers' URI handlers; cached from here on
