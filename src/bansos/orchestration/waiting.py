"""Wait for a kab/kota's extract until the province's deadline, without holding a worker slot.

The monthly run starts on the 1st; offices may send until the end of the ``deadline_day`` of the
month after the period (:func:`bansos.domain.deadline.deadline_for`, ``include/config/provinces/*.toml``).
Each kab/kota branch starts with :class:`LandingExtract`, a :class:`LandingSensor` that extracts
and stages the file when its wait is over: if the file is there (or the deadline has passed) it goes on at once;
otherwise it *defers* to :class:`LandingTrigger`, which polls the store from the triggerer's event
loop, so seven kab/kota waiting ten days cost no worker and no pool slot. A missed deadline is not a
failure: the wait ends with ``"deadline"``, the extract finds nothing, the rest of the branch is
skipped and the kab/kota is reported (and alerted) ``missing``. Waiting, extracting and staging are
one task because each task instance costs a process, a DAG parse and several execution-API calls
(``docs/decisions.md``): a backfilled month (long past its deadline) never waits, and the COPY into
staging is the natural end of bringing a file in.

Why an operator and not a ``@task``: a TaskFlow function can raise ``TaskDeferred``, but Airflow
resumes a deferred task by calling ``getattr(operator, method_name)(context, event=...)``, and the
decorated operator has no method to resume into; ``@task.sensor`` pokes or reschedules but cannot
defer. A small ``BaseSensorOperator`` subclass is the Airflow 3 way (like the standard provider's
``FileSensor(deferrable=True)``). With ``deferrable=False`` it falls back to ``mode="reschedule"``,
which also frees the slot between pokes, for deployments that run no triggerer.

The triggerer imports the trigger by its path ``bansos.orchestration.waiting.LandingTrigger``: the
``bansos`` package must be installed where it runs, with the same S3 settings as the workers (env or
connection).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from airflow.sdk import BaseSensorOperator, PokeReturnValue
from airflow.triggers.base import BaseTrigger, TriggerEvent

from bansos.domain.config import load_province
from bansos.domain.deadline import deadline_for, passed
from bansos.domain.layout import landing_folder
from bansos.domain.storage import Store, open_store
from bansos.extract.extract import list_candidates, settle_seconds, unsettled_for

log = logging.getLogger(__name__)

ARRIVED = "arrived"
DEADLINE = "deadline"
__all__ = ["ARRIVED", "DEADLINE", "LandingExtract", "LandingSensor", "LandingTrigger", "deadline_for", "landed",
           "status_now"]


def landed(store: Store, province: str, periode: str, kode_kabkota: str) -> bool:
    """True if the kab/kota's landing folder holds a file the extract step would take: any file but
    operating-system or editor litter (``Thumbs.db``, ``~$`` lock files), whatever its name or format,
    since every file sent is answered (read, or rejected with what to send instead).

    A local file still being written (changed less than the settle time ago) has not landed yet: the
    sensor looks again at its next poke rather than start an extract that would have to wait for it.
    """
    settle = settle_seconds()
    return any(unsettled_for(o, settle) == 0 for o in list_candidates(store, province, periode, kode_kabkota))


def status_now(store: Store, province: str, periode: str, kode_kabkota: str, deadline: datetime,
               now: datetime | None = None) -> str | None:
    """``"arrived"``, ``"deadline"`` or None (keep waiting). A file found after the deadline still counts."""
    if landed(store, province, periode, kode_kabkota):
        return ARRIVED
    if passed(deadline, now):
        return DEADLINE
    return None


def _store(data_root: str) -> Store:
    """The store behind ``data_root``, with the S3 client the tasks use (env, or the aws connection)."""
    from bansos.warehouse import runtime

    return open_store(data_root, s3_client_factory=runtime._s3_client)


class LandingTrigger(BaseTrigger):
    """Polls one kab/kota landing folder from the triggerer until a file lands or the deadline passes.

    Each poll runs in a thread (``asyncio.to_thread``): boto3 and the file system block, and the
    triggerer's event loop is shared with every other deferred task. A failed poll (S3 briefly
    unreachable) is logged and retried at the next interval; only the check at the deadline may fail.
    """

    def __init__(self, data_root: str, province: str, periode: str, kode_kabkota: str, deadline_iso: str,
                 poke_interval: float = 300.0):
        super().__init__()
        self.data_root = data_root
        self.province = province
        self.periode = periode
        self.kode_kabkota = kode_kabkota
        self.deadline_iso = deadline_iso
        self.poke_interval = float(poke_interval)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (f"{type(self).__module__}.{type(self).__qualname__}", {
            "data_root": self.data_root, "province": self.province, "periode": self.periode,
            "kode_kabkota": self.kode_kabkota, "deadline_iso": self.deadline_iso,
            "poke_interval": self.poke_interval,
        })

    def _event(self, status: str) -> TriggerEvent:
        return TriggerEvent({"status": status, "province": self.province, "periode": self.periode,
                             "kode_kabkota": self.kode_kabkota, "deadline": self.deadline_iso})

    async def run(self) -> AsyncIterator[TriggerEvent]:
        deadline = datetime.fromisoformat(self.deadline_iso)
        where = f"{self.data_root}/{landing_folder(self.province, self.periode, self.kode_kabkota)}/"
        self.log.info("waiting for a file in %s until %s", where, self.deadline_iso)
        store = None
        while True:
            final = passed(deadline)
            try:
                store = store or await asyncio.to_thread(_store, self.data_root)
                status = await asyncio.to_thread(status_now, store, self.province, self.periode,
                                                 self.kode_kabkota, deadline)
            except Exception:  # noqa: BLE001 - the store may be down for a while; the deadline is what counts
                if final:
                    raise
                self.log.warning("could not look into %s; trying again in %.0f s", where, self.poke_interval,
                                 exc_info=True)
                status = None
            if status is not None:
                self.log.info("%s %s: %s", self.kode_kabkota, self.periode, status)
                yield self._event(status)
                return
            remaining = (deadline - datetime.now(UTC)).total_seconds()
            await asyncio.sleep(max(0.0, min(self.poke_interval, remaining)))


class LandingSensor(BaseSensorOperator):
    """Returns ``"arrived"`` or ``"deadline"`` for one kab/kota-month; waits in between without a slot.

    ``periode`` and ``kode_kabkota`` are template fields, so they may be XComArgs or the mapped
    arguments of a mapped task group. ``data_root`` defaults to the workers' ``BANSOS_DATA_ROOT``.
    ``wait_until`` (ISO date-time, naive = province time; empty or ``"None"`` = not set) replaces the
    province's deadline, e.g. from a manual run's param when the office grants a kab/kota more time.
    """

    template_fields: Sequence[str] = ("periode", "kode_kabkota", "data_root", "wait_until")
    ui_color = "#d9ecf2"

    def __init__(self, *, province: str, periode: str, kode_kabkota: str, data_root: str | None = None,
                 wait_until: str | None = None, deferrable: bool = True, poke_interval: float = 300.0,
                 **kwargs):
        kwargs.setdefault("mode", "poke" if deferrable else "reschedule")
        super().__init__(poke_interval=poke_interval, **kwargs)
        self.province = province
        self.periode = periode
        self.kode_kabkota = kode_kabkota
        self.data_root = data_root
        self.wait_until = wait_until
        self.deferrable = deferrable

    def _deadline(self) -> datetime:
        province = load_province(self.province)
        override = str(self.wait_until or "").strip()
        if override in ("", "None"):  # an unset param renders as "None"
            return deadline_for(province, self.periode)
        until = datetime.fromisoformat(override)
        return until if until.tzinfo else until.replace(tzinfo=ZoneInfo(province.timezone))

    def _root(self) -> str:
        if self.data_root:
            return self.data_root
        from bansos.warehouse import runtime

        return runtime.data_root()

    def _status(self) -> str | None:
        store = _store(self._root())
        return status_now(store, self.province, self.periode, self.kode_kabkota, self._deadline())

    def poke(self, context) -> PokeReturnValue | bool:
        status = self._status()
        return PokeReturnValue(is_done=True, xcom_value=status) if status else False

    def execute(self, context) -> str:
        deadline = self._deadline()
        if not self.deferrable:  # reschedule mode: poke again later, for as long as the deadline is ahead
            self.timeout = max(float(self.timeout), (deadline - datetime.now(UTC)).total_seconds()
                               + 2 * float(self.poke_interval))
            return self._done(super().execute(context), deadline)
        status = self._status()
        if status is not None:
            return self._done(status, deadline)
        self.log.info("%s %s: nothing landed yet; deferring until a file lands or %s", self.kode_kabkota,
                      self.periode, deadline.isoformat())
        self.defer(
            trigger=LandingTrigger(data_root=self._root(), province=self.province, periode=self.periode,
                                   kode_kabkota=self.kode_kabkota, deadline_iso=deadline.isoformat(),
                                   poke_interval=float(self.poke_interval)),
            method_name="execute_complete",
        )

    def execute_complete(self, context, event: dict | None = None) -> str:
        status = (event or {}).get("status") or self._status() or DEADLINE
        return self._done(status, self._deadline())

    def _done(self, status: str, deadline: datetime) -> str:
        if status == DEADLINE:
            self.log.warning("%s %s: no extract by the deadline (%s); the branch goes on, reported missing",
                             self.kode_kabkota, self.periode, deadline.isoformat())
        else:
            self.log.info("%s %s: extract landed", self.kode_kabkota, self.periode)
        return status


class LandingExtract(LandingSensor):
    """Wait as :class:`LandingSensor` does, then extract and stage: the first task of a kab/kota branch.

    Returns the :class:`~bansos.domain.handoff.Staged` hand-off's XCom JSON
    (:func:`bansos.orchestration.steps.find`, then :func:`bansos.orchestration.steps.stage_found`) with
    ``waited`` (``"arrived"`` or ``"deadline"``); raises
    ``AirflowSkipException`` when there is nothing to validate (missing, the same bytes as before, or
    a file rejected before its rows could be read), which skips the rest of the branch but not the
    run's report.
    """

    ui_color = "#c9e4d6"
    claim_run_id: str | None = None  # the run claiming the submission (bansos.warehouse.submissions), from the context

    def execute(self, context) -> dict:
        self.claim_run_id = context["run_id"]
        return super().execute(context)

    def execute_complete(self, context, event: dict | None = None) -> dict:
        self.claim_run_id = context["run_id"]
        return super().execute_complete(context, event)

    def _done(self, status: str, deadline: datetime) -> dict:
        from airflow.sdk.exceptions import AirflowSkipException

        from bansos.domain.handoff import to_xcom
        from bansos.orchestration import steps

        waited = super()._done(status, deadline)
        handoff = steps.find(self.province, self.periode, self.kode_kabkota, waited=waited)
        if handoff.goes_on:
            handoff = steps.stage_found(handoff, self.claim_run_id)
        if not handoff.goes_on:
            raise AirflowSkipException(handoff.ending())
        return to_xcom(handoff)
