"""Faults around the pseudonymisation key: a merge that fails with statement logging on (the key's pads must
appear in no statement text, ``pg_stat_activity`` or server log), and a merge with another key (refused until
the warehouse is rotated to it). Real PostgreSQL, real files.
"""

from __future__ import annotations

import secrets
import threading
import time

import pandas as pd
import psycopg2
import pytest

from bansos.domain.privacy import hmac_pads, pseudonymise
from bansos.merge import keys
from bansos.orchestration import steps
from tests.conftest import KEY, frozen_state
from tests.pipeline import land, load_without_suite, query, run_branch, snapshot, source_file

PERIODE = "2022-03"


def _through_validate(periode: str, kode: str) -> dict:
    """A branch up to (not including) merge, as the DAG runs it."""
    ref = steps.stage(steps.extract("21", periode, kode), "test")
    ref = steps.validate(ref, "test")
    assert ref["action"] == "process", ref
    return ref


def _escaped_bytea(data: bytes) -> str:
    """PostgreSQL's ``bytea_output = 'escape'`` text of ``data``."""
    return "".join("\\\\" if b == 0x5C else chr(b) if 0x20 <= b < 0x7F else f"\\{b:03o}" for b in data)


def _needles(key: bytes) -> dict[str, bytes]:
    """Every form in which the key or its pads could show up in a text: raw, hex, escaped, the key text.

    Prefixes of 16 bytes: ``pg_stat_activity`` cuts a query at 1 kB, and 16 bytes are as secret as 64.
    """
    inner, outer = hmac_pads(key)
    found = {"key text": key}
    for name, secret in (("key", key), ("inner pad", inner), ("outer pad", outer)):
        head = secret[:16]
        found[f"{name} raw"] = head
        found[f"{name} hex"] = head.hex().encode()
        found[f"{name} escaped"] = _escaped_bytea(head).encode("latin-1")
    return found


class ServerLog:
    """The server's log from now on, read through SQL (``pg_current_logfile()``, else the embedded
    server's ``<data directory>/log``, where ``pg_ctl -l`` writes it)."""

    def __init__(self, cur):
        self.cur = cur
        cur.execute(
            "SELECT coalesce(pg_current_logfile(), "
            "CASE WHEN (pg_stat_file('log', true)).size IS NOT NULL THEN 'log' END)"
        )
        (self.path,) = cur.fetchone()
        if self.path is None:
            pytest.skip("the server's log is not readable through SQL on this server")
        self.start = self._size()

    def _size(self) -> int:
        self.cur.execute("SELECT (pg_stat_file(%s)).size", (self.path,))
        return self.cur.fetchone()[0]

    def read(self) -> bytes:
        self.cur.execute("SELECT pg_read_binary_file(%s, %s, %s)", (self.path, self.start, self._size() - self.start))
        return bytes(self.cur.fetchone()[0])


def _sample_activity(dsn: str, stop: threading.Event, samples: list[str], waiting: threading.Event) -> None:
    """From another connection: every query text of this database in ``pg_stat_activity``, until ``stop``.

    Autocommit: within one transaction PostgreSQL keeps showing the activity it first read.
    """
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            while not stop.is_set():
                cur.execute(
                    "SELECT query, wait_event_type FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
                for text, wait in cur.fetchall():
                    samples.append(text or "")
                    if wait == "Lock" and "core.distribution" in (text or ""):
                        waiting.set()
                time.sleep(0.005)
    finally:
        conn.close()


def test_a_failing_merge_with_statement_logging_shows_no_key_or_pad(runtime_env, kepri2022, monkeypatch):
    """Fault: a merge fails (a constraint violated by the insert that hashes the identifiers) on a server that
    logs every statement and the statement of every error, while another session samples pg_stat_activity.
    Neither the log nor the samples may hold the key or its HMAC pads in any form; nothing is merged, and
    the retry after the fault loads the month."""
    dsn = runtime_env["dsn"]
    key = secrets.token_hex(24).encode()  # printable, so that "the key text" is a meaningful search
    monkeypatch.setenv("BANSOS_PSEUDONYM_KEY", key.decode())
    steps.prepare_warehouse("21")
    land(runtime_env["root"], kepri2022, PERIODE, "21.05")
    ref = _through_validate(PERIODE, "21.05")
    before = snapshot(dsn)

    admin = psycopg2.connect(dsn)
    admin.autocommit = True
    cur = admin.cursor()
    # the month's partition, as the merge makes it first (migration 0043): the merge then waits at its insert
    cur.execute("SELECT core.ensure_distribution_partition(%s)", (PERIODE,))
    cur.execute("SELECT current_database()")
    database = cur.fetchone()[0]
    cur.execute(f"ALTER DATABASE \"{database}\" SET log_statement = 'all'")
    cur.execute(f"ALTER DATABASE \"{database}\" SET log_min_error_statement = 'error'")
    log = ServerLog(cur)
    # the fault, held back until the merge waits on it: every new distribution row violates a check
    blocker = psycopg2.connect(dsn)
    blocker.cursor().execute(
        "LOCK TABLE core.distribution IN ACCESS EXCLUSIVE MODE;"
        "ALTER TABLE core.distribution ADD CONSTRAINT fault_injected CHECK (nominal < 0) NOT VALID"
    )
    stop, waiting, samples, raised = threading.Event(), threading.Event(), [], []

    def merge():
        try:
            steps.merge(ref, "test")
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            raised.append(exc)

    sampler = threading.Thread(target=_sample_activity, args=(dsn, stop, samples, waiting))
    merging = threading.Thread(target=merge)
    sampler.start()
    merging.start()
    try:
        assert waiting.wait(30), ("the merge never reached the insert into core.distribution", raised)
        time.sleep(0.2)  # a few more samples while it waits
        blocker.commit()
        merging.join(60)
    finally:
        stop.set()
        blocker.close()
        merging.join(60)
        sampler.join(10)
    time.sleep(0.5)  # the server writes its log asynchronously to us
    logged = log.read()
    cur.execute(f'ALTER DATABASE "{database}" RESET log_statement')
    cur.execute(f'ALTER DATABASE "{database}" RESET log_min_error_statement')
    cur.execute("ALTER TABLE core.distribution DROP CONSTRAINT fault_injected")
    admin.close()

    assert raised and isinstance(raised[0], psycopg2.errors.CheckViolation), raised
    # the log did record the statements and the error: the search below looks in the right place
    assert b"fault_injected" in logged and b"INSERT INTO core.distribution" in logged
    assert any("INSERT INTO core.distribution" in s for s in samples)
    sampled = "\n".join(samples).encode("utf-8", "surrogateescape")
    leaks = [
        f"{name} in {where}"
        for name, needle in _needles(key).items()
        for where, text in (("server log", logged), ("pg_stat_activity", sampled))
        if needle in text or needle.lower() in text.lower()
    ]
    assert not leaks, leaks
    # nothing merged by the failed attempt; its retry loads the month with this key's pseudonyms
    assert snapshot(dsn) == before
    assert steps.merge(ref, "test")["action"] == "loaded"
    frame = pd.read_csv(source_file(kepri2022, PERIODE, "21.05"), dtype=str)
    hashes = {bytes(h) for (h,) in query(dsn, "SELECT nik_hash FROM core.distribution WHERE kode_kabkota = '21.05'")}
    assert hashes == {pseudonymise(nik, key) for nik in frame["nik"]}


def test_the_first_key_is_recorded_and_another_key_is_refused(runtime_env, kepri2022, monkeypatch):
    """Fault: the pseudonymisation key is changed (a wrong secret, a rotated one) between two merges. The first
    merge records the key's fingerprint; the merge with the other key raises and changes nothing."""
    dsn = runtime_env["dsn"]
    steps.prepare_warehouse("21")
    land(runtime_env["root"], kepri2022, PERIODE, "21.05")
    assert run_branch(PERIODE, "21.05")["action"] == "loaded"
    recorded = query(dsn, "SELECT fingerprint, retired_at FROM core.pseudonym_key")
    assert recorded == [(keys.fingerprint(KEY), None)]
    assert all(n.hex() not in recorded[0][0] for n in (KEY, *hmac_pads(KEY)))

    land(runtime_env["root"], kepri2022, PERIODE, "21.03")
    ref = _through_validate(PERIODE, "21.03")  # staged and validated with the warehouse's key
    other = secrets.token_hex(24)
    monkeypatch.setenv("BANSOS_PSEUDONYM_KEY", other)
    before = snapshot(dsn)
    with pytest.raises(keys.KeyMismatch, match="python -m bansos.keys rotate") as refused:
        steps.merge(ref, "test")
    assert keys.fingerprint(KEY)[:16] in str(refused.value) and other not in str(refused.value)
    assert snapshot(dsn) == before
    # and a file staged with the other key is refused before its identifiers are hashed (the rules across
    # months compare pseudonyms: with another key they would find nothing)
    land(runtime_env["root"], kepri2022, PERIODE, "21.04")
    with pytest.raises(keys.KeyMismatch, match="nothing was staged") as refused:
        steps.stage(steps.extract("21", PERIODE, "21.04"), "test")
    assert other not in str(refused.value)
    assert query(dsn, "SELECT fingerprint FROM core.pseudonym_key") == [(keys.fingerprint(KEY),)]


def _load_two_kabkota(env, src) -> None:
    """21.05 and 21.03 of the month landed and loaded under KEY (extract, stage, merge: a rotation reads the
    batches and their archived files, not the suite's verdicts)."""
    steps.prepare_warehouse("21")
    for kode in ("21.05", "21.03"):
        land(env.root, src, PERIODE, kode)
        assert load_without_suite(PERIODE, kode)["action"] == "loaded"


@pytest.fixture
def two_kabkota(pg_base, runtime_env, kepri2022, tmp_path_factory, monkeypatch):
    """The test's warehouse and data root with 21.05 and 21.03 loaded under KEY: what a rotation starts from,
    loaded once for the module (``frozen_state``) and copied for each test (the rotations change it)."""
    state = frozen_state(pg_base, tmp_path_factory, "kepri_2022_03_two_kabkota",
                         lambda env: _load_two_kabkota(env, kepri2022))
    state.restore_into(pg_base, runtime_env, monkeypatch)
    steps.prepare_warehouse("21")  # the database's owner and grants, which a copy does not carry
    return runtime_env


def test_rotation_re_pseudonymises_every_batch_and_swaps_the_accepted_key(two_kabkota, kepri2022, monkeypatch, capsys):
    """Fault: the province changes its key. ``python -m bansos.keys rotate`` re-pseudonymises the warehouse,
    current and replaced batches, from the archived files; afterwards the new key merges, the old is refused,
    and every pseudonym is the new key's; nothing else in the warehouse changes."""
    runtime_env = two_kabkota
    dsn = runtime_env["dsn"]
    lines = source_file(kepri2022, PERIODE, "21.03").read_bytes().decode().splitlines(keepends=True)
    land(runtime_env["root"], kepri2022, PERIODE, "21.03", name="koreksi.csv", content="".join(lines[:-5]).encode())
    assert run_branch(PERIODE, "21.03")["action"] == "loaded"  # the first 21.03 batch is history now
    before = snapshot(dsn)

    new_key = secrets.token_hex(24).encode()
    monkeypatch.setenv("BANSOS_PSEUDONYM_KEY", new_key.decode())
    assert keys.main(["status"]) == 1
    assert keys.main(["rotate"]) == 0
    assert keys.main(["status"]) == 0
    printed = capsys.readouterr().out
    assert new_key.decode() not in printed and KEY.decode() not in printed

    after = snapshot(dsn)
    assert len(after["distribution"]) == len(before["distribution"])
    assert len(after["household"]) == len(before["household"]) and len(after["person"]) == len(before["person"])
    for name in ("load_batch", "kabkota_month", "summary", "submission"):
        assert after[name] == before[name], name
    assert query(dsn, "SELECT count(*) FROM core.load_batch") == [(3,)]
    for kode, withdrawn in (("21.05", 0), ("21.03", 0), ("21.03", 5)):
        frame = pd.read_csv(source_file(kepri2022, PERIODE, kode), dtype=str)
        frame = frame.iloc[: len(frame) - withdrawn]
        expected = {pseudonymise(nik, new_key) for nik in frame["nik"]}
        found = query(
            dsn,
            "SELECT d.batch_id, array_agg(d.nik_hash) FROM core.distribution AS d WHERE d.kode_kabkota = %s "
            "GROUP BY d.batch_id",
            (kode,),
        )
        assert any({bytes(h) for h in hashes} == expected for _, hashes in found), kode
    households = {bytes(h) for (h,) in query(dsn, "SELECT kk_hash FROM core.household")}
    assert households == {bytes(h) for (h,) in query(dsn, "SELECT DISTINCT kk_hash FROM core.distribution")}
    # every column but the two pseudonyms (7, 8) as it was
    assert [r[:7] + r[9:] for r in after["distribution"]] == [r[:7] + r[9:] for r in before["distribution"]]
    assert query(dsn, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'staging'") == [(0,)]
    assert query(dsn, "SELECT count(*) FROM core.pseudonym_key WHERE retired_at IS NOT NULL") == [(1,)]

    land(runtime_env["root"], kepri2022, PERIODE, "21.04")
    ref = _through_validate(PERIODE, "21.04")
    monkeypatch.setenv("BANSOS_PSEUDONYM_KEY", KEY.decode())
    with pytest.raises(keys.KeyMismatch):
        steps.merge(ref, "test")
    monkeypatch.setenv("BANSOS_PSEUDONYM_KEY", new_key.decode())
    assert steps.merge(ref, "test")["action"] == "loaded"


def test_a_rotation_that_cannot_read_an_archived_file_changes_nothing(two_kabkota, monkeypatch):
    """Fault: one batch's archived file is unreadable during a rotation (here: gone). The rotation fails, the
    warehouse keeps every pseudonym and its key, and no staging table with identifiers is left behind."""
    runtime_env = two_kabkota
    dsn = runtime_env["dsn"]
    before = snapshot(dsn)
    (archive_key,) = query(dsn, "SELECT archive_key FROM raw.submission WHERE kode_kabkota = '21.03'")[0]
    (runtime_env["root"] / archive_key).unlink()

    monkeypatch.setenv("BANSOS_PSEUDONYM_KEY", secrets.token_hex(24))
    with pytest.raises(FileNotFoundError):
        keys.main(["rotate"])
    assert snapshot(dsn) == before
    assert query(dsn, "SELECT fingerprint, retired_at FROM core.pseudonym_key") == [(keys.fingerprint(KEY), None)]
    assert query(dsn, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'staging'") == [(0,)]


def test_a_short_key_is_a_configuration_error(monkeypatch):
    """Fault: the configured key is too short to be a secret (a placeholder, a truncated paste): refused where
    it is read, naming where it came from and never showing it."""
    from bansos.warehouse import runtime

    monkeypatch.setenv("BANSOS_PSEUDONYM_KEY", "changeme")
    with pytest.raises(runtime.ConfigurationError, match="BANSOS_PSEUDONYM_KEY is 8 bytes") as refused:
        runtime.pseudonym_key()
    assert "changeme" not in str(refused.value)


def test_pseudonyms_staged_under_another_key_are_computed_again_by_the_merge(runtime_env, kepri2022, monkeypatch):
    """Fault: the key changes between stage and merge of a warehouse's first month (no key recorded yet, so
    neither step refuses). Merge uses the pseudonyms stage computed only when they are its key's: here it
    computes them again, so households, persons and distributions all carry the merge key's pseudonyms."""
    dsn = runtime_env["dsn"]
    steps.prepare_warehouse("21")
    land(runtime_env["root"], kepri2022, PERIODE, "21.05")
    ref = _through_validate(PERIODE, "21.05")  # staged with KEY
    other = secrets.token_hex(24)
    monkeypatch.setenv("BANSOS_PSEUDONYM_KEY", other)
    assert steps.merge(ref, "test")["action"] == "loaded"
    new_key = other.encode("utf-8")
    assert query(dsn, "SELECT fingerprint FROM core.pseudonym_key") == [(keys.fingerprint(new_key),)]
    frame = pd.read_csv(source_file(kepri2022, PERIODE, "21.05"), dtype=str)
    for column, table, hashed in (("nik", "person", "nik_hash"), ("no_kk", "household", "kk_hash")):
        expected = {pseudonymise(v, new_key) for v in frame[column]}
        assert {bytes(h) for (h,) in query(dsn, f"SELECT {hashed} FROM core.distribution")} == expected, column
        assert {bytes(h) for (h,) in query(dsn, f"SELECT {hashed} FROM core.{table}")} == expected, table
