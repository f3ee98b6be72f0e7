"""Find an Airflow connection by id, or learn that there is none, without failing the caller.

``airflow.sdk.Connection.get`` reads ``AIRFLOW_CONN_<ID>`` environment variables and secrets
backends, and inside a task asks the API server too; it works in a plain Python process as well
(checked with Airflow 3.3.2), so tests and the demo configure channels with environment variables.
Airflow is imported only here and only when an alert is sent.
"""

from __future__ import annotations

import logging
import os

from bansos.alert.redact import clean_text

log = logging.getLogger(__name__)

SMTP_CONN_ENV, SMTP_CONN_DEFAULT = "BANSOS_SMTP_CONN_ID", "smtp_default"
SLACK_CONN_ENV, SLACK_CONN_DEFAULT = "BANSOS_SLACK_CONN_ID", "slack_webhook_default"


def smtp_conn_id() -> str:
    return os.environ.get(SMTP_CONN_ENV) or SMTP_CONN_DEFAULT


def slack_conn_id() -> str:
    return os.environ.get(SLACK_CONN_ENV) or SLACK_CONN_DEFAULT


def get(conn_id: str):
    """The connection, or None when it is not defined or Airflow is not installed."""
    try:
        from airflow.sdk import Connection
        from airflow.sdk.exceptions import AirflowNotFoundException
    except ImportError:
        return None
    try:
        return Connection.get(conn_id)
    except AirflowNotFoundException:
        return None
    except Exception as exc:  # noqa: BLE001 - a broken secrets backend must not stop the other channels
        log.warning("connection %r could not be read (%s); treating it as absent",
                    conn_id, clean_text(f"{type(exc).__name__}: {exc}"))
        return None
