"""Post an alert to a Slack-compatible incoming webhook through the Airflow Slack webhook connection.

``SlackWebhookHook`` (provider apache-airflow-providers-slack) builds the URL from the connection:
the password when it is a whole URL, otherwise host (with scheme, default ``https://hooks.slack.com/services``)
plus ``/`` plus the password (the token). Any http(s) host works, so a Mattermost server or a local
receiver can stand in for Slack. A reply other than HTTP 200 raises.
"""

from __future__ import annotations

from bansos.alert import render
from bansos.alert.message import Alert

DEFAULT_TIMEOUT = 15


def post(alert: Alert, conn) -> str:
    """Deliver to the webhook of connection ``conn``; returns ``webhook``. Raises on failure."""
    from airflow.providers.slack.hooks.slack_webhook import SlackWebhookHook

    timeout = None if conn.extra_dejson.get("timeout") else DEFAULT_TIMEOUT  # the extra wins when set
    hook = SlackWebhookHook(slack_webhook_conn_id=conn.conn_id, timeout=timeout)
    hook.send_dict(render.slack_payload(alert))
    return "webhook"
