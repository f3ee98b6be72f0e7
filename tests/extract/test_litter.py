"""What an operating system or an editor leaves in a landing folder is no submission: recorded, never alerted.

``Thumbs.db``, ``desktop.ini`` and Office's ``~$`` lock files are logged and recorded once in
``raw.landing_refusal``; they are not archived, not registered, do not wake the landing trigger, and a
folder holding only them is still ``missing``. Real PostgreSQL, a real landing folder.
"""

from __future__ import annotations

import logging
from urllib.parse import unquote

from bansos.domain.storage import open_store
from bansos.orchestration import steps
from bansos.orchestration.waiting import landed
from tests.pipeline import land, query, run_branch

PERIODE, KODE = "2022-05", "21.05"
LITTER = {
    "Thumbs.db": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1024),
    "desktop.ini": b"[.ShellClassInfo]\r\nIconResource=C:\\Windows\\system32\\imageres.dll,-184\r\n",
    "~$penyaluran.xlsx": b"\x0cOperator Dinsos" + bytes(150),
    ".DS_Store": b"\x00\x00\x00\x01Bud1" + bytes(64),
}


def _litter(root, kepri2022) -> None:
    for name, content in LITTER.items():
        land(root, kepri2022, PERIODE, KODE, name=name, content=content)


def test_litter_alone_is_recorded_never_alerted_and_the_kabkota_stays_missing(runtime_env, kepri2022, caplog):
    dsn, root = runtime_env["dsn"], runtime_env["root"]
    steps.prepare_warehouse("21")
    _litter(root, kepri2022)
    assert not landed(open_store(root.as_uri()), "21", PERIODE, KODE), "litter does not wake the landing trigger"
    with caplog.at_level(logging.INFO, logger="bansos.extract.extract"):
        assert run_branch(PERIODE, KODE)["action"] == "missing"
        assert run_branch(PERIODE, KODE)["action"] == "missing"
    assert query(dsn, "SELECT count(*) FROM raw.submission") == [(0,)]
    assert not (root / "archive").exists()
    refused = {unquote(uri.rsplit("/", 1)[-1]): reason
               for uri, reason in query(dsn, "SELECT source_uri, reason FROM raw.landing_refusal")}
    assert set(refused) == {"Thumbs.db", "desktop.ini", "~$penyaluran.xlsx"}, "hidden names are not even listed"
    assert refused["~$penyaluran.xlsx"].startswith("an Office lock or temporary file")
    assert all(reason.endswith("recorded, not alerted") for reason in refused.values())
    assert "Thumbs.db not taken: Windows thumbnail cache" in caplog.text
    assert not (root / "outbox").exists() or not any((root / "outbox").rglob("*.json")), "litter is not alerted"
    assert query(dsn, "SELECT count(*) FROM dq.alert") == [(0,)]
    assert steps.report("21", PERIODE)[KODE] == "missing", "nothing was sent: after the deadline it is missing"
    assert query(dsn, "SELECT count(*) FROM dq.alert WHERE kind = 'missing' AND kode_kabkota = %s", (KODE,)) == [(1,)]


def test_litter_beside_an_extract_leaves_the_extract_the_months_submission(runtime_env, kepri2022):
    dsn, root = runtime_env["dsn"], runtime_env["root"]
    steps.prepare_warehouse("21")
    land(root, kepri2022, PERIODE, KODE, name="penyaluran.csv")
    _litter(root, kepri2022)  # after the extract: Excel still had it open when the folder was copied
    assert run_branch(PERIODE, KODE)["action"] == "loaded"
    names = [name for (name,) in query(dsn, "SELECT regexp_replace(source_uri, '.*/', '') FROM raw.submission")]
    assert names == ["penyaluran.csv"]
    assert steps.report("21", PERIODE)[KODE] == "loaded"
