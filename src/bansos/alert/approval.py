"""Send the "not approved in time" alert of a province-month (issue 13), for the approval step's timeout.

Why its own function: the HITL step that waits for the province's answer must, when the province's
``approval_timeout_hours`` pass, tell people and leave the month provisional; never approve it. This records the
alert in the ledger (one per province-month: a second timeout of the same month is the same alert) and delivers
it through the same channels as every other alert (e-mail, webhook, outbox), so an unreachable channel gets it
at the next report's retry. It writes nothing else: no decision, no ``core.approval`` row.
"""

from __future__ import annotations

from datetime import timedelta

from bansos.alert.build import approval_overdue_alert
from bansos.alert.ledger import notify


def approval_overdue(province: str, periode: str, waited: timedelta | float, run_url: str | None = None,
                     dsn: str | None = None, links: dict | None = None) -> int:
    """Record and send the alert that ``periode`` was not approved after ``waited`` (a timedelta or hours);
    returns the alert's id. ``dsn`` defaults to the pipeline's warehouse (:mod:`bansos.warehouse.runtime`)."""
    if dsn is None:
        from bansos.warehouse import runtime

        dsn = runtime.warehouse_dsn()
    return notify(dsn, approval_overdue_alert(province, periode, waited, run_url, links=links))


def overdue(waited: timedelta, timeout_hours: int) -> bool:
    """Whether a request that has waited ``waited`` is past the province's ``approval_timeout_hours``."""
    return waited >= timedelta(hours=timeout_hours)
