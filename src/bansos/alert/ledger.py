"""At-least-once alerts: record each alert in the warehouse before it is sent, then mark each channel delivered.

An alert must survive every channel being down and reach each channel once it works again, so an
alert is a row of ``dq.alert`` (its masked payload, a dedup key so the same event is one alert) with one
row per channel in ``dq.alert_delivery``, written by :func:`record` before anything is sent, in the
caller's transaction when it has one (a rejection is recorded with its decision). :func:`deliver`
then tries each channel that still owes the alert and marks it delivered or keeps it pending with its
(masked) error; :func:`retry_pending` (the report task of every monthly run) does the same for every
alert still pending, so each channel gets the alert once it works again, and a channel that already
took it never gets it twice. A failing channel never raises: the decision stands, the alert waits.

A delivery is sent while its row is locked (``FOR UPDATE SKIP LOCKED``), so two runs retrying at once
do not both send it; a process killed between sending and committing sends it again later (at least
once, not exactly once). When every configured channel fails, the alert is written to the outbox as
well (recorded as an outbox delivery, so only once), as :func:`bansos.alert.send.send_alert` does.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import replace

from bansos.alert import send
from bansos.alert.message import Alert
from bansos.alert.redact import clean_text
from bansos.alert.render import cleaned, subject
from bansos.warehouse import database as warehouse
from bansos.warehouse import sqlfiles

log = logging.getLogger(__name__)

ERROR_MAX = 1000


def dedup_key(alert: Alert) -> str:
    """The alert's own key when its builder set one, else a digest of what it says (links aside)."""
    if alert.dedup_key:
        return alert.dedup_key
    content = replace(cleaned(alert), links={}).to_dict()
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()
    return f"{alert.kind}:{alert.province}:{alert.periode or '-'}:{digest}"


def record(cur, alert: Alert, channels: list[str] | None = None) -> int:
    """Record ``alert`` (masked) and its pending channels in the cursor's transaction; returns its id.

    The same event recorded again (same dedup key) returns the first record's id and adds nothing.
    ``channels`` defaults to the channels configured now (:func:`bansos.alert.send.channels`).
    """
    stored = cleaned(alert)
    key = clean_text(dedup_key(alert))
    params = {"kind": stored.kind, "severity": stored.severity, "province": stored.province,
              "periode": stored.periode, "kode_kabkota": stored.kode_kabkota, "dedup_key": key,
              "payload": json.dumps(replace(stored, dedup_key=key).to_dict(), ensure_ascii=False)}
    cur.execute(sqlfiles.read("alert/record_alert.sql"), params)
    row = cur.fetchone()
    if row is None:
        cur.execute(sqlfiles.read("alert/find_alert.sql"), {"dedup_key": key})
        (alert_id,) = cur.fetchone()
        log.info("alert %s already recorded (%s): not recorded again", alert_id, key)
        return alert_id
    (alert_id,) = row
    for channel in channels or send.channels():
        cur.execute(sqlfiles.read("alert/add_delivery.sql"), {"alert_id": alert_id, "channel": channel})
    return alert_id


def _load(dsn: str, alert_id: int) -> tuple[Alert, dict[str, bool]]:
    with warehouse.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sqlfiles.read("alert/load_alert.sql"), {"alert_id": alert_id})
        rows = cur.fetchall()
    if not rows:
        raise LookupError(f"no alert {alert_id} with a channel in the ledger")
    return Alert(**rows[0][0]), {channel: delivered for _, channel, delivered in rows}


def _attempt(dsn: str, alert_id: int, channel: str, alert: Alert) -> bool | None:
    """Send on one channel under its row lock; True delivered, False failed, None nothing to do."""
    with warehouse.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sqlfiles.read("alert/claim_delivery.sql"), {"alert_id": alert_id, "channel": channel})
        claimed = cur.fetchone()
        if claimed is None:  # delivered meanwhile, or another process is sending it right now
            return None
        try:
            where, error = send.deliver_to(channel, alert), None
        except Exception as exc:  # noqa: BLE001 - a failing channel stays pending; it must not fail the caller
            where, error = None, clean_text(f"{type(exc).__name__}: {exc}")[:ERROR_MAX]
            log.error("alert %s on %s failed (attempt %s), still pending: %s", alert_id, channel,
                      claimed[0] + 1, error)
        cur.execute(sqlfiles.read("alert/mark_attempt.sql"),
                    {"alert_id": alert_id, "channel": channel, "delivered_to": where, "last_error": error})
    return where is not None


def deliver(dsn: str, alert_id: int) -> dict[str, bool]:
    """Send the alert on every channel that still owes it; returns each channel's state afterwards.

    When none of its channels has ever delivered it, it goes to the outbox too (once).
    """
    alert, state = _load(dsn, alert_id)
    for channel, delivered in state.items():
        if not delivered and (done := _attempt(dsn, alert_id, channel, alert)) is not None:
            state[channel] = done
    if not any(state.values()) and "outbox" not in state:
        log.warning("no channel took alert %s; writing it to the outbox as well", alert_id)
        with warehouse.connect(dsn) as conn, conn.cursor() as cur:
            cur.execute(sqlfiles.read("alert/add_delivery.sql"), {"alert_id": alert_id, "channel": "outbox"})
        state["outbox"] = bool(_attempt(dsn, alert_id, "outbox", alert))
    delivered = sorted(c for c, ok in state.items() if ok)
    pending = sorted(c for c, ok in state.items() if not ok)
    log.info("alert %s delivered to %s%s: %s", alert_id, ", ".join(delivered) or "no channel",
             f"; pending on {', '.join(pending)}" if pending else "", subject(alert))
    return state


def notify(dsn: str, alert: Alert) -> int:
    """Record ``alert`` in a transaction of its own, then deliver it; returns its id. Raises only when the
    warehouse cannot record it (the caller decides whether to send it without a record)."""
    with warehouse.connect(dsn) as conn, conn.cursor() as cur:
        alert_id = record(cur, alert)
    deliver(dsn, alert_id)
    return alert_id


def retry_pending(dsn: str) -> dict:
    """Deliver every alert some channel still owes; returns how many were retried and are still pending."""
    with warehouse.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sqlfiles.read("alert/pending_alerts.sql"))
        alert_ids = [row[0] for row in cur.fetchall()]
    still = [alert_id for alert_id in alert_ids if not all(deliver(dsn, alert_id).values())]
    if still:
        log.warning("%d of %d pending alert(s) still not delivered on every channel (ids %s); the next run "
                    "retries them, see dq.alert_delivery.last_error", len(still), len(alert_ids), still)
    elif alert_ids:
        log.info("%d pending alert(s) delivered", len(alert_ids))
    return {"retried": len(alert_ids), "pending": still}
