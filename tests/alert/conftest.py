"""Real receivers for alerts: an SMTP server (aiosmtpd) and an HTTP webhook receiver, on 127.0.0.1.

Both listen on free ports for one test and are stopped in teardown, so nothing outlives the
session. ``alert_connections`` points the Airflow connections ``smtp_default`` and
``slack_webhook_default`` at them, as ``AIRFLOW_CONN_*`` JSON, the way a deployment would.
"""

from __future__ import annotations

import json
import socket
import threading
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

ALERT_ENV = ("AIRFLOW_CONN_SMTP_DEFAULT", "AIRFLOW_CONN_SLACK_WEBHOOK_DEFAULT", "BANSOS_SMTP_CONN_ID",
             "BANSOS_SLACK_CONN_ID", "BANSOS_ALERT_EMAIL_TO", "BANSOS_ALERT_FROM", "BANSOS_ALERT_OUTBOX")
WEBHOOK_PATH = "/services/T0000/B0000/kepri-alerts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self):
        return [BytesParser(policy=policy.default).parsebytes(e.original_content) for e in self.envelopes]


@pytest.fixture
def smtp_server():
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    mailbox.port = controller.port
    try:
        yield mailbox
    finally:
        controller.stop()


class _Receiver(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - the http.server protocol
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
        status = self.server.status
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"ok" if status == 200 else b"invalid_payload")

    def log_message(self, format, *args):  # keep the test output clean
        pass


@pytest.fixture
def webhook_receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.requests = []
    server.status = 200
    server.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, name="webhook-receiver", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def no_alert_env(monkeypatch, tmp_path):
    """No alert setting from the caller's environment leaks into a test; the data root is the test's."""
    for name in ALERT_ENV:
        monkeypatch.delenv(name, raising=False)
    root = tmp_path / "data"
    root.mkdir()
    monkeypatch.setenv("BANSOS_DATA_ROOT", root.as_uri())
    return root


def smtp_conn(port: int, **extra) -> str:
    return json.dumps({"conn_type": "smtp", "host": "127.0.0.1", "port": port,
                       "extra": {"disable_ssl": True, "disable_tls": True, "timeout": 10,
                                 "to": "dinsos@kepri.localhost"} | extra})


def webhook_conn(port: int) -> str:
    """Like Slack's: host ``https://hooks.slack.com/services``, the token in the password."""
    return json.dumps({"conn_type": "slackwebhook", "host": f"http://127.0.0.1:{port}/services",
                       "password": WEBHOOK_PATH.removeprefix("/services/")})


@pytest.fixture
def alert_connections(monkeypatch, no_alert_env, smtp_server, webhook_receiver):
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_conn(smtp_server.port))
    monkeypatch.setenv("AIRFLOW_CONN_SLACK_WEBHOOK_DEFAULT", webhook_conn(webhook_receiver.port))
    return smtp_server, webhook_receiver
