"""A province's three DAGs, for its own `dags/provinsi_*.py` to build: `bansos_monthly_<kode>`, `bansos_publish_<kode>`
and `bansos_approval_<kode>` (the wiring is in `bansos_monthly.py`, `bansos_publish.py` and `bansos_approval.py`).

A worker parses the province file again for each task it runs, with Airflow's parsing context naming the task's
DAG: only that DAG is built then (a monthly task builds neither the approval nor the publish DAG, 15 to 20 ms less
per task instance; docs/decisions.md). The dag-processor and the tests parse with no context and get all three.
"""

from __future__ import annotations

import bansos_approval
import bansos_monthly
import bansos_publish
from airflow.sdk import get_parsing_context

from bansos.domain import dags

WIRING = ((bansos_monthly, dags.monthly), (bansos_publish, dags.publish), (bansos_approval, dags.approval))


def build(province_code: str) -> tuple:
    """The province's monthly, publish and approval DAGs, in that order; None for each one the parsing context
    leaves out."""
    only = get_parsing_context().dag_id
    return tuple(
        wiring.build(province_code)() if only in (None, dag_id(province_code)) else None for wiring, dag_id in WIRING
    )
