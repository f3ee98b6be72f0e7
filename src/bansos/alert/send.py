"""Deliver one alert to every configured channel, and to the outbox when none took it.

E-mail and webhook are tried independently; a failing channel is logged (masked) and does not stop
the other. When no channel delivered, because none is configured or all failed, the alert goes
to the outbox, so it is never lost silently. Only a failure of the outbox itself raises.

:func:`send_alert` sends once and keeps no record; the pipeline sends through
:mod:`bansos.alert.ledger`, which records the alert first and uses :func:`channels` and
:func:`deliver_to` to send it, one channel at a time, until each configured channel took it.
"""

from __future__ import annotations

import logging

from bansos.alert import connections, mail, outbox, webhook
from bansos.alert.message import Alert
from bansos.alert.redact import clean_text
from bansos.alert.render import subject

log = logging.getLogger(__name__)

LABELS = {"email": "e-mail", "webhook": "webhook", "outbox": "outbox"}


class ChannelNotConfigured(RuntimeError):
    """The channel's connection is gone since the alert was recorded for it."""


def _error(exc: BaseException) -> str:
    return clean_text(f"{type(exc).__name__}: {exc}")


def conn_id(channel: str) -> str:
    """The Airflow connection id of the e-mail or webhook channel."""
    return connections.smtp_conn_id() if channel == "email" else connections.slack_conn_id()


def channels() -> list[str]:
    """The channels an alert is owed to now: those with a connection, or the outbox when there is none."""
    found = [name for name in ("email", "webhook") if connections.get(conn_id(name)) is not None]
    return found or ["outbox"]


def deliver_to(channel: str, alert: Alert) -> str:
    """Send ``alert`` on one channel; returns where it went (``email:<to>``, ``webhook``, ``outbox:<path>``).

    Raises when the channel fails, so the caller can keep it pending.
    """
    if channel == "outbox":
        return outbox.write(alert)
    conn = connections.get(conn_id(channel))
    if conn is None:
        raise ChannelNotConfigured(f"connection {conn_id(channel)!r} for the {channel} channel is not defined")
    return mail.send(alert, conn) if channel == "email" else webhook.post(alert, conn)


def send_alert(alert: Alert) -> list[str]:
    """Send ``alert``; returns where it went: ``email:<to>``, ``webhook``, ``outbox:<path>``."""
    delivered: list[str] = []
    configured = [c for c in channels() if c != "outbox"]
    for channel in configured:
        try:
            delivered.append(deliver_to(channel, alert))
        except mail.MailNotConfigured as exc:
            log.warning("alert not e-mailed: %s", clean_text(str(exc)))
        except Exception as exc:  # noqa: BLE001 - the other channels and the outbox still get their chance
            log.error("alert %s through connection %r failed: %s", LABELS[channel], conn_id(channel), _error(exc))
    if not delivered:
        if configured:
            log.warning("no configured channel took the alert; writing it to the outbox instead")
        delivered.append(outbox.write(alert))
    log.info("alert sent to %s: %s", ", ".join(delivered), subject(alert))
    return delivered
