"""Faults at the landing folder: a file changing while it is read, a file still being copied in, a
file below the kab/kota folder, a symbolic link out of the data root, a correction with an old
modification time (issue 9, items 3 and 8).

Real PostgreSQL, real files in a real folder; the only injection is the fault itself (the office's
copy tool writing while the extract reads).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from bansos.domain import storage
from bansos.extract import extract as extract_mod
from bansos.orchestration import steps
from bansos.orchestration.waiting import landed
from bansos.warehouse import runtime
from tests.pipeline import land, load_without_suite, query, run_branch, source_file

PERIODE = "2022-03"
KODE = "21.71"


def _extract(kode: str = KODE) -> extract_mod.ExtractResult:
    return extract_mod.find_and_archive(runtime.warehouse_dsn(), runtime.store(), province="21", periode=PERIODE,
                                        kode_kabkota=kode)


def _submissions(dsn: str) -> list[tuple]:
    return query(dsn, "SELECT sha256, size_bytes, archive_key FROM raw.submission ORDER BY submission_id")


def _assert_archive_matches_ledger(dsn: str, root: Path) -> None:
    """Every archived object holds exactly the bytes its recorded SHA-256 and size describe; no spool is left."""
    for sha, size, key in _submissions(dsn):
        data = (root / key).read_bytes()
        assert (hashlib.sha256(data).hexdigest(), len(data)) == (sha, size), key
    assert not [p for p in (root / "archive").rglob(".*") if p.is_file()], "a temporary archive copy was left"


def _alerts(root: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((root / "outbox").rglob("*.json"))]


def test_a_file_overwritten_while_it_is_read_is_archived_only_as_the_bytes_hashed(runtime_env, kepri2022,
                                                                                   monkeypatch):
    """Fault: the office overwrites the landing file while the extract reads it (between hash and copy).

    The change is injected at the first block hashed. Before the fix the file was read twice (hash,
    then copy), so the archive held the new bytes under the old bytes' SHA-256.
    """
    dsn, root = runtime_env["dsn"], runtime_env["root"]
    path = land(root, kepri2022, PERIODE, KODE)
    final = b"".join(path.read_bytes().splitlines(keepends=True)[:-1])
    fired = []

    def sha256_that_lets_the_office_write(*args):
        digest = hashlib.sha256(*args)

        def update(block):
            if not fired:
                fired.append(True)
                path.write_bytes(final)  # the office's tool rewrites the file in place
            digest.update(block)

        return SimpleNamespace(update=update, hexdigest=digest.hexdigest)

    monkeypatch.setattr(storage, "hashlib", SimpleNamespace(sha256=sha256_that_lets_the_office_write))
    found = _extract()
    assert fired, "the fault was not injected"
    _assert_archive_matches_ledger(dsn, root)
    assert found.sha256 == hashlib.sha256(final).hexdigest(), "the file taken is the one the office left"
    assert (root / found.archive_key).read_bytes() == final


def test_a_file_still_being_copied_in_is_taken_once_settled_and_whole(runtime_env, kepri2022, monkeypatch):
    """Fault: a slow copy (SMB, SFTP, ``cp``) is appending to the landing file when the run looks at it.

    Before the fix the half-written file was taken: archived, hashed and registered as the submission.
    """
    dsn, root = runtime_env["dsn"], runtime_env["root"]
    monkeypatch.setenv("BANSOS_LANDING_SETTLE_SECONDS", "0.5")
    whole = source_file(kepri2022, PERIODE, KODE).read_bytes()
    target = root / "landing" / "21" / PERIODE / KODE / "penyaluran.csv"
    target.parent.mkdir(parents=True)
    chunks = [whole[i:i + len(whole) // 25 + 1] for i in range(0, len(whole), len(whole) // 25 + 1)]
    started = threading.Event()

    def copy_slowly():
        with open(target, "ab") as out:
            for chunk in chunks:
                out.write(chunk)
                out.flush()
                started.set()
                time.sleep(0.05)

    writer = threading.Thread(target=copy_slowly)
    writer.start()
    try:
        started.wait(5)
        assert not landed(runtime.store(), "21", PERIODE, KODE), "the sensor counts a file still growing"
        found = _extract()
    finally:
        writer.join()
    assert found.action == "process"
    assert _submissions(dsn) == [(hashlib.sha256(whole).hexdigest(), len(whole), found.archive_key)]
    _assert_archive_matches_ledger(dsn, root)
    assert landed(runtime.store(), "21", PERIODE, KODE)


def test_a_file_below_the_kabkota_folder_is_not_taken_and_is_reported_once(runtime_env, kepri2022, caplog):
    """Fault: an office writes a file one folder deeper (``21.71/x/y.csv``), e.g. another kab/kota's file.

    Before the fix the landing folder was listed recursively and the file was taken as 21.71's.
    """
    dsn, root = runtime_env["dsn"], runtime_env["root"]
    deeper = root / "landing" / "21" / PERIODE / KODE / "x" / "y.csv"
    deeper.parent.mkdir(parents=True)
    deeper.write_bytes(source_file(kepri2022, PERIODE, "21.72").read_bytes())
    assert not landed(runtime.store(), "21", PERIODE, KODE)
    assert _extract().action == "missing"
    assert _submissions(dsn) == []
    assert not (root / "archive").exists() or not any((root / "archive").rglob("*.csv"))
    refused = query(dsn, "SELECT source_uri, reason FROM raw.landing_refusal")
    assert [uri.rstrip("/") for uri, _ in refused] == [(root / "landing" / "21" / PERIODE / KODE / "x").as_uri()]
    assert "only files directly in" in refused[0][1]
    assert "x/" in caplog.text and "not taken" in caplog.text
    alerts = _alerts(root)
    assert len(alerts) == 1 and alerts[0]["kode_kabkota"] == KODE and alerts[0]["rules"][0]["rule"] == "landing_path"
    _extract()
    assert len(_alerts(root)) == 1, "a refusal is alerted once, not at every look"


def test_a_symbolic_link_out_of_the_data_root_is_refused_with_a_reason(runtime_env, kepri2022, tmp_path):
    """Fault: an office puts a symbolic link to a file outside the data root into its landing folder,
    and another office's landing folder is itself a link out of the root.

    Before the fix the link was followed by the listing and the extract crashed on it (every retry again).
    """
    dsn, root = runtime_env["dsn"], runtime_env["root"]
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "rahasia.csv"
    secret.write_bytes(source_file(kepri2022, PERIODE, KODE).read_bytes())
    folder = root / "landing" / "21" / PERIODE / KODE
    folder.mkdir(parents=True)
    (folder / "penyaluran.csv").symlink_to(secret)
    (root / "landing" / "21" / PERIODE / "21.72").symlink_to(outside, target_is_directory=True)
    assert _extract().action == "missing"
    assert _extract("21.72").action == "missing"
    assert _submissions(dsn) == []
    assert not (root / "archive").exists() or not any((root / "archive").rglob("*.csv"))
    refused = dict(query(dsn, "SELECT kode_kabkota, reason FROM raw.landing_refusal"))
    assert refused == dict.fromkeys([KODE, "21.72"], "symbolic link to outside the data root; refused, not followed")
    assert str(outside) not in json.dumps(_alerts(root)), "the link's target is not shown"
    assert {a["kode_kabkota"] for a in _alerts(root)} == {KODE, "21.72"}


def test_a_correction_copied_with_an_old_modification_time_replaces_the_file_it_corrects(runtime_env, kepri2022):
    """Fault: the office sends a correction with ``rsync -t`` / WinSCP, which keep the PC's old modification time.

    Before the fix versions were ordered by modification time: the correction was superseded on arrival
    and the month kept the file it corrects.
    """
    dsn, root = runtime_env["dsn"], runtime_env["root"]
    steps.prepare_warehouse("21")
    original = land(root, kepri2022, PERIODE, KODE)
    assert load_without_suite(PERIODE, KODE)["action"] == "loaded"  # the file corrected: loaded before, clean
    correction = b"".join(original.read_bytes().splitlines(keepends=True)[:-1])
    land(root, kepri2022, PERIODE, KODE, name="koreksi.csv", content=correction, mtime=1)
    assert os.stat(original.parent / "koreksi.csv").st_mtime < os.stat(original).st_mtime
    result = run_branch(PERIODE, KODE)
    assert result["action"] == "loaded"
    current = query(dsn, "SELECT s.sha256, b.row_count FROM core.kabkota_month km "
                         "JOIN core.load_batch b ON b.batch_id = km.current_batch_id "
                         "JOIN raw.submission s ON s.submission_id = b.submission_id "
                         "WHERE km.periode = %s AND km.kode_kabkota = %s", (PERIODE, KODE))
    assert current == [(hashlib.sha256(correction).hexdigest(), correction.count(b"\n") - 1)]
    rows = query(dsn, "SELECT count(*) FROM core.distribution_current WHERE kode_kabkota = %s", (KODE,))
    assert rows == [(correction.count(b"\n") - 1,)]
    # nothing lost: the corrected file stays in history, both archived byte for byte
    assert query(dsn, "SELECT count(*) FROM core.load_batch WHERE superseded_at IS NOT NULL") == [(1,)]
    _assert_archive_matches_ledger(dsn, root)
    # and a re-run changes nothing: the order is remembered, not recomputed from the files' times
    assert run_branch(PERIODE, KODE)["action"] in ("unchanged", "skipped")
    assert query(dsn, "SELECT s.sha256 FROM core.kabkota_month km JOIN core.load_batch b "
                      "ON b.batch_id = km.current_batch_id JOIN raw.submission s USING (submission_id)") == \
        [(hashlib.sha256(correction).hexdigest(),)]


@pytest.fixture(autouse=True)
def _no_mail(monkeypatch):
    """Alerts go to the outbox of the data root (no SMTP or webhook connection in these tests)."""
    for name in ("AIRFLOW_CONN_SMTP_DEFAULT", "AIRFLOW_CONN_SLACK_WEBHOOK_DEFAULT"):
        monkeypatch.delenv(name, raising=False)
