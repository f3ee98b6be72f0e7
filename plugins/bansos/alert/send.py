"""Deliver one alert to every configured channel, and to the outbox when none took it.

E-mail and webhook are tried independently; a failing channel is logged (masked) and does not stop
the other. When no channel delivered, because none is configured or all failed, the alert goes
to the outbox, so it is never lost silently. Only a failure of the outbox itself raises.
"""

from __future__ import annotations

import logging

from bansos.alert import connections, mail, outbox, webhook
from bansos.alert.message import Alert
from bansos.alert.redact import clean_text
from bansos.alert.render import subject

log = logging.getLogger(__name__)


def _error(exc: BaseException) -> str:
    return clean_text(f"{type(exc).__name__}: {exc}")


def send_alert(alert: Alert) -> list[str]:
    """Send ``alert``; returns where it went: ``email:<to>``, ``webhook``, ``outbox:<path>``."""
    delivered: list[str] = []
    configured = False
    smtp_id = connections.smtp_conn_id()
    if (smtp := connections.get(smtp_id)) is not None:
        configured = True
        try:
            delivered.append(mail.send(alert, smtp))
        except mail.MailNotConfigured as exc:
            log.warning("alert not e-mailed: %s", clean_text(str(exc)))
        except Exception as exc:  # noqa: BLE001 - the webhook and the outbox still get their chance
            log.error("alert e-mail through connection %r failed: %s", smtp_id, _error(exc))
    slack_id = connections.slack_conn_id()
    if (slack := connections.get(slack_id)) is not None:
        configured = True
        try:
            delivered.append(webhook.post(alert, slack))
        except Exception as exc:  # noqa: BLE001
            log.error("alert webhook through connection %r failed: %s", slack_id, _error(exc))
    if not delivered:
        if configured:
            log.warning("no configured channel took the alert; writing it to the outbox instead")
        delivered.append(outbox.write(alert))
    log.info("alert sent to %s: %s", ", ".join(delivered), subject(alert))
    return delivered
