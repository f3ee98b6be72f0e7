"""Send an alert as e-mail (plain text with an HTML alternative) through the Airflow SMTP connection.

The connection is read the way the SMTP provider's ``SmtpHook`` reads it, so the connection that
serves Airflow's own notifications serves alerts too: host, port, login/password (used only when
both are set), and the extras ``disable_ssl`` (default false: implicit TLS), ``disable_tls``
(default false: STARTTLS on a plain connection), ``timeout`` (30 s), ``ssl_context``
(``default`` or ``none``) and ``from_email``. Sent with ``smtplib`` rather than the hook because the
hook's messages carry HTML only; a plain-text part keeps the alert readable in any mail client.
Recipients: ``BANSOS_ALERT_EMAIL_TO`` (comma-separated), else the connection extra ``to``.
"""

from __future__ import annotations

import os
import secrets
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from bansos.alert import render
from bansos.alert.message import Alert

DEFAULT_SENDER = "bansos-pipeline@dinsos.localhost"


class MailNotConfigured(RuntimeError):
    """The SMTP connection exists but says nothing about whom to write to."""


def _truthy(value) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def _split(value) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in str(value or "").replace(";", ",").split(",") if v.strip()]


def recipients(conn) -> list[str]:
    return _split(os.environ.get("BANSOS_ALERT_EMAIL_TO")) or _split(conn.extra_dejson.get("to"))


def sender(conn) -> str:
    return os.environ.get("BANSOS_ALERT_FROM") or conn.extra_dejson.get("from_email") or DEFAULT_SENDER


def build_message(alert: Alert, from_addr: str, to: list[str]) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = render.subject(alert)
    msg["From"] = from_addr
    msg["To"] = ", ".join(to)
    msg["Date"] = formatdate(localtime=False)
    # Message-ID and MIME boundary from letters, not the library's long random numbers, so that even
    # the SMTP server's debug log of the raw message holds no run of digits that looks like a NIK.
    msg["Message-ID"] = f"<bansos-{alert.kind}-{_token()}@{from_addr.rsplit('@', 1)[-1]}>"
    msg["X-Bansos-Alert"] = f"{alert.kind}; severity={alert.severity}"
    msg.set_content(render.text(alert))
    msg.add_alternative(render.html_body(alert), subtype="html")
    msg.set_boundary(f"bansos-alert-{_token()}")
    return msg


def _token() -> str:
    return "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(20))


def _ssl_context(extra: dict) -> ssl.SSLContext | None:
    if str(extra.get("ssl_context", "default")).lower() == "none":
        return None
    return ssl.create_default_context()


def send(alert: Alert, conn) -> str:
    """Deliver by SMTP; returns ``email:<recipients>``. Raises on any SMTP error."""
    to = recipients(conn)
    if not to:
        raise MailNotConfigured(f"SMTP connection {conn.conn_id!r} has no recipients: "
                                "set BANSOS_ALERT_EMAIL_TO or the connection extra 'to'")
    extra = conn.extra_dejson
    use_ssl = not _truthy(extra.get("disable_ssl", False))
    starttls = not _truthy(extra.get("disable_tls", False))
    timeout = int(extra.get("timeout", 30))
    host = conn.host or "localhost"
    port = int(conn.port or (465 if use_ssl else 25))
    msg = build_message(alert, sender(conn), to)
    if use_ssl:
        client = smtplib.SMTP_SSL(host, port, timeout=timeout, context=_ssl_context(extra))
    else:
        client = smtplib.SMTP(host, port, timeout=timeout)
    with client:
        if not use_ssl and starttls:
            client.starttls(context=_ssl_context(extra))
            client.ehlo()
        if conn.login and conn.password:
            client.login(conn.login, conn.password)
        client.send_message(msg, from_addr=msg["From"], to_addrs=to)
    return "email:" + ",".join(to)
