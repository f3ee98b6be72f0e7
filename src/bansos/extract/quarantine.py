"""Quarantine: a rejected file is copied byte for byte, with its reasons, out of the way of the merge.

``quarantine/<province>/<YYYY-MM>/<kab/kota>/<sha256>/`` holds the file exactly as it landed and a
``reasons.json`` the kab/kota office can read. The landing file is left as it is.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from bansos.domain.layout import hashed_key, quarantine_folder
from bansos.domain.outcome import RuleOutcome
from bansos.domain.storage import Store


def quarantine_key(ref: dict) -> str:
    """Where a rejected file's copy goes: under its SHA-256, so two rejected versions never collide."""
    folder = quarantine_folder(ref["province"], ref["periode"], ref["kode_kabkota"])
    return hashed_key(folder, ref["sha256"], ref["file_name"])


def quarantine_submission(store: Store, ref: dict, reasons: Sequence[RuleOutcome]) -> str:
    """Copy the archived file byte for byte into quarantine with a ``reasons.json``; return its key.

    The landing file is left as it is: the office sees what it sent and why it was rejected.
    """
    key = quarantine_key(ref)
    store.copy(ref["archive_key"], key)
    note = {
        "province": ref["province"],
        "periode": ref["periode"],
        "kode_kabkota": ref["kode_kabkota"],
        "file": ref["file_name"],
        "sha256": ref["sha256"],
        "reasons": [r.to_dict() for r in reasons],
    }
    store.put_bytes(
        key.rsplit("/", 1)[0] + "/reasons.json",
        json.dumps(note, indent=2, ensure_ascii=False, default=str).encode("utf-8"),
        "application/json",
    )
    return key
