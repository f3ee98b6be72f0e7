"""The channel of last resort: alerts as files, when no e-mail or webhook connection takes them.

The demo runs with no SMTP server and no Slack, yet a rejection must still leave a readable
message somewhere a person looks. Each alert becomes two objects,
``<UTC timestamp>_<kind>_<province>_<periode>_<kabkota>.json`` (the masked alert and the webhook
payload, ready to replay) and the same name with ``.txt`` (the plain-text message), in:

* ``BANSOS_ALERT_OUTBOX`` when set (a folder path, ``file://`` or ``s3://`` URL), else
* ``outbox/`` inside the data root (``bansos.warehouse.runtime.data_root()``): a folder
  ``<data root>/outbox`` for a local root, objects under ``outbox/`` for an ``s3://`` root.
"""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime

from bansos.alert import render
from bansos.alert.message import Alert
from bansos.domain.layout import outbox_folder
from bansos.domain.storage import LocalStore, Store, open_store

OUTBOX_ENV = "BANSOS_ALERT_OUTBOX"
_UNSAFE = re.compile(r"[^0-9A-Za-z.-]+")


def target() -> tuple[Store, str]:
    """The store and the key prefix alerts are written under."""
    if configured := os.environ.get(OUTBOX_ENV):
        return open_store(configured), ""
    from bansos.warehouse import runtime

    return runtime.store(), f"{outbox_folder()}/"


def base_name(alert: Alert, now: datetime) -> str:
    parts = [alert.kind, alert.province, alert.periode or "none", alert.kode_kabkota or "provinsi"]
    return now.strftime("%Y%m%dT%H%M%S.%fZ") + "_" + "_".join(_UNSAFE.sub("-", p) for p in parts)


def _location(store: Store, key: str) -> str:
    return str(store.root / key) if isinstance(store, LocalStore) else store.uri(key)


def write(alert: Alert, now: datetime | None = None) -> str:
    """Write the two files; returns ``outbox:<path or URI of the .json>``."""
    now = now or datetime.now(UTC)
    store, prefix = target()
    key = prefix + base_name(alert, now)
    suffix = 1
    while store.exists(key + ".json"):
        suffix += 1
        key = f"{prefix}{base_name(alert, now)}-{suffix}"
    record = {"created_utc": now.isoformat(), "subject": render.subject(alert)}
    record |= render.cleaned(alert).to_dict() | {"webhook_payload": render.slack_payload(alert)}
    store.put_bytes(key + ".txt", render.text(alert).encode("utf-8"), "text/plain; charset=utf-8")
    store.put_bytes(key + ".json", json.dumps(record, indent=2, ensure_ascii=False).encode("utf-8"),
                    "application/json")
    return "outbox:" + _location(store, key + ".json")
