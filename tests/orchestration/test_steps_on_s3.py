"""The monthly steps with the data root in S3 (moto over HTTP): same warehouse as from a folder.

The steps are the functions the Airflow tasks call (``bansos.orchestration.steps``); only ``BANSOS_DATA_ROOT``
changes, to ``s3://bucket/prefix``. Offices upload with PUT into a versioned bucket, so a
resubmission under the same name is a new object version: these tests pin down that versions are
recorded, the same bytes again change nothing, a correction replaces exactly its kab/kota-month with
history kept, and an older version never wins over a newer one.
"""

from __future__ import annotations

import hashlib
import time

import pytest

from bansos.orchestration import steps
from tests.conftest import KEY, frozen_state, migrated_template, new_database
from tests.pipeline import KABKOTA, load_month_and_publish, load_without_suite, run_branch, source_file
from tests.s3.landing import content_snapshot, land_s3, query

PERIODE = "2022-03"


def fresh_warehouse(pg_base: str) -> str:
    return new_database(pg_base, "wh", template=migrated_template(pg_base))


def load_month(monkeypatch, dsn: str, root: str) -> dict:
    monkeypatch.setenv("BANSOS_WAREHOUSE_URL", dsn)
    monkeypatch.setenv("BANSOS_DATA_ROOT", root)
    monkeypatch.setenv("BANSOS_PSEUDONYM_KEY", KEY.decode())
    results = {kode: run_branch(PERIODE, kode) for kode in KABKOTA}
    steps.publish("21", PERIODE)
    return results


def ledger(dsn: str, kode: str) -> list[tuple]:
    return query(dsn, "SELECT source_uri, source_version, sha256, status FROM raw.submission "
                      "WHERE kode_kabkota = %s ORDER BY submission_id", (kode,))


def core_state(dsn: str) -> dict:
    """What readers see, and the ledger without its landing times (the same bytes again move those)."""
    snap = content_snapshot(dsn)
    snap.pop("rule_result")
    snap.pop("row_count_rule_ran")
    snap["ids"] = query(dsn, "SELECT submission_id, status, row_count FROM raw.submission ORDER BY 1")
    snap["batches"] = query(dsn, "SELECT batch_id, submission_id, loaded_at, superseded_at "
                                 "FROM core.load_batch ORDER BY 1")
    return snap


def test_a_month_from_s3_gives_the_same_warehouse_as_from_the_local_folder(
        monkeypatch, pg_base, kepri2022, s3_server, tmp_path_factory):
    # the month from a local folder: loaded and published once per session (tests/orchestration/test_steps.py
    # starts from the same state), copied here
    local = frozen_state(pg_base, tmp_path_factory, "kepri_2022_03",
                         lambda env: load_month_and_publish(env, kepri2022, PERIODE))
    from_local = new_database(pg_base, "wh", template=local.template)
    local_results = local.result
    s3_root = s3_server.root()
    versions = {kode: land_s3(s3_server, s3_root, kepri2022, PERIODE, kode) for kode in KABKOTA}

    from_s3 = fresh_warehouse(pg_base)
    s3_results = load_month(monkeypatch, from_s3, s3_root)

    assert {k: r["action"] for k, r in s3_results.items()} == dict.fromkeys(KABKOTA, "loaded")
    assert {k: r["rows"] for k, r in s3_results.items()} == {k: r["rows"] for k, r in local_results.items()}
    local, s3 = content_snapshot(from_local), content_snapshot(from_s3)
    assert local.keys() == s3.keys()
    for table in local:
        assert s3[table] == local[table], f"{table} differs between the local and the S3 load"
    assert len(s3["distribution"]) > 1000 and len(s3["kabkota_month"]) == 7
    # where each came from is the only difference: the S3 object and its version
    for kode in KABKOTA:
        ((uri, version, sha, status),) = ledger(from_s3, kode)
        name = source_file(kepri2022, PERIODE, kode).name
        assert uri == f"{s3_root}/landing/21/{PERIODE}/{kode}/{name}"
        assert version == versions[kode] and status == "accepted"
        ((local_uri, local_version, local_sha, _),) = ledger(from_local, kode)
        assert local_uri.startswith("file://") and local_version is None and local_sha == sha
    archived = s3_server.client.list_objects_v2(Bucket=s3_server.bucket, Prefix=s3_root[5:].split("/", 1)[1]
                                                + "/archive/")["Contents"]
    assert len(archived) == 7


@pytest.fixture
def two_kabkota(s3_runtime_env, kepri2022):
    """21.05 and 21.03 of March 2022 loaded from S3 (extract, stage and merge: the suite's verdict on these
    clean files is not what the tests below are about, and ``core_state`` leaves rule results out) and
    published."""
    env = s3_runtime_env
    steps.prepare_warehouse("21")
    versions = {kode: land_s3(env["s3"], env["root"], kepri2022, PERIODE, kode)
                for kode in ("21.05", "21.03")}
    results = {kode: load_without_suite(PERIODE, kode) for kode in versions}
    assert {r["action"] for r in results.values()} == {"loaded"}
    steps.publish("21", PERIODE)
    return env | {"versions": versions, "results": results}


def test_the_same_bytes_uploaded_again_change_nothing(two_kabkota, kepri2022):
    env, dsn = two_kabkota, two_kabkota["dsn"]
    before = core_state(dsn)
    # the same bytes as a new version of the same key, and under another name
    again = land_s3(env["s3"], env["root"], kepri2022, PERIODE, "21.05")
    assert again != env["versions"]["21.05"]
    land_s3(env["s3"], env["root"], kepri2022, PERIODE, "21.05", name="kirim_ulang.csv")
    assert run_branch(PERIODE, "21.05")["action"] == "unchanged"
    steps.publish("21", PERIODE)
    assert core_state(dsn) == before
    assert [(v, s) for _, v, _, s in ledger(dsn, "21.05")] == [(env["versions"]["21.05"], "accepted")]


def test_a_correction_as_a_new_version_replaces_exactly_its_kabkota_month_and_keeps_history(
        two_kabkota, kepri2022):
    env, dsn = two_kabkota, two_kabkota["dsn"]
    lines = source_file(kepri2022, PERIODE, "21.05").read_bytes().splitlines(keepends=True)
    corrected = b"".join(lines[:-3])  # three distributions withdrawn
    old_batch = env["results"]["21.05"]["batch_id"]
    other = query(dsn, "SELECT current_batch_id FROM core.kabkota_month WHERE kode_kabkota = '21.03'")
    time.sleep(1.1)  # S3 LastModified has whole seconds; a correction comes later than that
    v2 = land_s3(env["s3"], env["root"], kepri2022, PERIODE, "21.05", content=corrected)

    result = run_branch(PERIODE, "21.05")
    steps.publish("21", PERIODE)

    assert result["action"] == "loaded" and result["replaced_batch_id"] == old_batch
    assert query(dsn, "SELECT count(*) FROM core.distribution_current WHERE kode_kabkota = '21.05'")[0][0] \
        == len(lines) - 1 - 3
    assert query(dsn, "SELECT current_batch_id FROM core.kabkota_month WHERE kode_kabkota = '21.03'") == other
    # history: the replaced batch stays, superseded by the new one; the ledger keeps both object versions
    replaced = query(dsn, "SELECT superseded_by, row_count FROM core.load_batch WHERE batch_id = %s",
                     (old_batch,))
    assert replaced == [(result["batch_id"], len(lines) - 1)]
    (uri1, ver1, sha1, st1), (uri2, ver2, sha2, st2) = ledger(dsn, "21.05")
    assert uri1 == uri2, "the correction is the same key"
    assert (ver1, st1) == (env["versions"]["21.05"], "superseded") and (ver2, st2) == (v2, "accepted")
    assert sha2 == hashlib.sha256(corrected).hexdigest() != sha1
    assert query(dsn, "SELECT distributions FROM mart.distribution_summary WHERE tahun = 2022 AND bulan = 3 "
                      "AND kode_kabkota = '21.05' AND kode_program IS NULL")[0][0] == len(lines) - 1 - 3


def test_an_older_version_never_replaces_a_newer_loaded_one_whatever_order_the_runs_finish(
        s3_runtime_env, kepri2022):
    """Two uploads a second apart, seen by two runs; the run with the older one finishes last."""
    env, dsn = s3_runtime_env, s3_runtime_env["dsn"]
    steps.prepare_warehouse("21")
    lines = source_file(kepri2022, PERIODE, "21.05").read_bytes().splitlines(keepends=True)
    older_version = land_s3(env["s3"], env["root"], kepri2022, PERIODE, "21.05", content=b"".join(lines[:-1]))
    older = steps.extract("21", PERIODE, "21.05")  # run A sees the first upload
    time.sleep(1.1)
    newer_version = land_s3(env["s3"], env["root"], kepri2022, PERIODE, "21.05")
    newer = steps.extract("21", PERIODE, "21.05")  # run B sees the second
    assert older["submission_id"] != newer["submission_id"]

    def finish(ref: dict) -> dict:
        return steps.merge(steps.validate(steps.stage(ref, "test"), "test"), "test")

    assert finish(newer)["action"] == "loaded"
    assert finish(older)["action"] == "stale"
    current = query(dsn, "SELECT s.source_version, b.row_count FROM core.kabkota_month km "
                         "JOIN core.load_batch b ON b.batch_id = km.current_batch_id "
                         "JOIN raw.submission s ON s.submission_id = b.submission_id "
                         "WHERE km.kode_kabkota = '21.05'")
    assert current == [(newer_version, len(lines) - 1)]
    assert {(v, s) for _, v, _, s in ledger(dsn, "21.05")} == {(older_version, "superseded"),
                                                             (newer_version, "accepted")}
