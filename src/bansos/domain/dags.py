"""The ids of a province's three Airflow DAGs, in one place: the DAG files name their DAGs with them, and the
approval trigger, the links in approval requests and the status page point at the same names."""

from __future__ import annotations


def monthly(province: str) -> str:
    """The monthly run of the province's kab/kota extracts (``dags/bansos_monthly.py``)."""
    return f"bansos_monthly_{province}"


def publish(province: str) -> str:
    """The publication of the province's marts (``dags/bansos_publish.py``)."""
    return f"bansos_publish_{province}"


def approval(province: str) -> str:
    """The province's approval of a month (``dags/bansos_approval.py``)."""
    return f"bansos_approval_{province}"
