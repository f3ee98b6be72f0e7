"""The monthly steps against a real PostgreSQL: load, re-run, resubmission, rejection, staleness.

These run the same functions the Airflow tasks call (``bansos.orchestration.steps``), with a real warehouse and
a real landing folder, so the behaviour the DAG relies on is pinned down without a scheduler.
"""

from __future__ import annotations

import copy
import hashlib
import json

import pandas as pd
import pytest

from bansos.domain.privacy import pseudonymise
from bansos.orchestration import steps
from tests.conftest import frozen_state
from tests.pipeline import (
    KABKOTA,
    land,
    load_month_and_publish,
    quarantine_key,
    query,
    run_branch,
    snapshot,
    source_file,
)

PERIODE = "2022-03"


@pytest.fixture(scope="module")
def month_template(pg_base, tmp_path_factory, kepri2022):
    """The month loaded and published once (shared with ``test_steps_on_s3.py``), frozen as a template
    database and a copy of its data root (the warehouse records each landed file by its full URI, so tests
    reuse the same folder)."""
    return frozen_state(pg_base, tmp_path_factory, "kepri_2022_03",
                        lambda env: load_month_and_publish(env, kepri2022, PERIODE))


@pytest.fixture
def loaded_month(pg_base, runtime_env, month_template, monkeypatch):
    """Every kab/kota of the month loaded and published: the test's warehouse becomes a copy of the module's
    loaded month and its data root that month's folder as it was (the rows and files a load of their own
    gives, in a second instead of ten)."""
    month_template.restore_into(pg_base, runtime_env, monkeypatch)
    steps.prepare_warehouse("21")  # the database's owner and grants, which a copy does not carry
    return copy.deepcopy(month_template.result)


def test_data_docs_templates_compile_once_and_load_from_the_bytecode_cache(loaded_month):
    from pathlib import Path

    from great_expectations.render.view.view import DefaultJinjaView

    cache = DefaultJinjaView().env.bytecode_cache
    assert cache is not None, "every validation would compile GX's templates again"
    assert list(Path(cache.directory).glob("__jinja2_*.cache")), "the validations stored no compiled template"


def test_a_month_loads_every_kabkota_and_counts_match_the_files(loaded_month, runtime_env, kepri2022):
    dsn = runtime_env["dsn"]
    assert {k: r["action"] for k, r in loaded_month.items()} == dict.fromkeys(KABKOTA, "loaded")
    for kode in KABKOTA:
        frame = pd.read_csv(source_file(kepri2022, PERIODE, kode), dtype=str)
        rows = query(dsn, "SELECT count(*) FROM core.distribution_current WHERE kode_kabkota = %s", (kode,))
        assert rows[0][0] == len(frame)
        expected = frame.groupby("kode_program")["no_kk"].nunique().to_dict()
        mart = dict(
            query(
                dsn,
                "SELECT kode_program, kk_assisted FROM mart.distribution_summary "
                "WHERE tahun = 2022 AND bulan = 3 AND kode_kabkota = %s AND kode_program IS NOT NULL",
                (kode,),
            )
        )
        assert mart == expected
        rupiah = query(
            dsn,
            "SELECT total_rupiah FROM mart.distribution_summary WHERE tahun = 2022 AND bulan = 3 "
            "AND kode_kabkota = %s AND kode_program IS NULL",
            (kode,),
        )[0][0]
        assert rupiah == frame["nominal"].astype(int).sum()
    assert steps.report("21", PERIODE) == dict.fromkeys(KABKOTA, "loaded")


def test_a_monthly_publish_refreshes_the_monthly_marts_and_leaves_the_regional_breakdown_to_the_publication(
    loaded_month, runtime_env
):
    from bansos.publish import marts

    dsn = runtime_env["dsn"]
    result = steps.publish("21", PERIODE)
    assert set(result["marts"]) == set(marts.MONTHLY)
    assert all(result["marts"][mart] > 0 for mart in marts.MONTHLY), result["marts"]
    assert query(dsn, "SELECT count(*) FROM mart.distribution_by_region")[0][0] == 0
    # the publication (the publish DAG) refreshes every mart, the breakdown agreeing with the summary
    marts.refresh_all(dsn, "21", 2022)
    province_kk = query(
        dsn,
        "SELECT kk_assisted FROM mart.distribution_by_region WHERE tahun = 2022 AND jenis_periode = 'bulan' "
        "AND bulan = 3 AND tingkat = 'provinsi' AND kode_program IS NULL",
    )
    summary_kk = query(
        dsn,
        "SELECT kk_assisted FROM mart.distribution_summary WHERE tahun = 2022 AND bulan = 3 "
        "AND kode_kabkota IS NULL AND kode_program IS NULL",
    )
    assert province_kk == summary_kk and summary_kk[0][0] > 0
    with pytest.raises(ValueError, match="no such mart: by_desa"):
        marts.refresh(None, "21", 2022, only=("by_desa",))


def test_identifiers_are_keyed_hashes_never_plain(loaded_month, runtime_env, kepri2022):
    dsn = runtime_env["dsn"]
    frame = pd.read_csv(source_file(kepri2022, PERIODE, "21.05"), dtype=str)
    first = frame.iloc[0]
    expected = pseudonymise(first["nik"], runtime_env["key"])
    hashes = {
        bytes(h) for (h,) in query(dsn, "SELECT nik_hash FROM core.distribution WHERE kode_kabkota = '21.05'")
    }
    assert expected in hashes
    dump = json.dumps(snapshot(dsn), default=str)
    assert first["nik"] not in dump and first["no_kk"] not in dump
    staging = query(dsn, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'staging'")
    assert staging[0][0] == 0, "staging tables with raw identifiers must be dropped after the merge"


def test_running_the_month_again_changes_nothing(loaded_month, runtime_env):
    before = snapshot(runtime_env["dsn"])
    again = {kode: run_branch(PERIODE, kode, run_id="second") for kode in KABKOTA}
    steps.publish("21", PERIODE)
    assert {k: r["action"] for k, r in again.items()} == dict.fromkeys(KABKOTA, "unchanged")
    assert snapshot(runtime_env["dsn"]) == before


def test_a_resubmission_replaces_its_kabkota_month_and_keeps_history(loaded_month, runtime_env, kepri2022):
    dsn = runtime_env["dsn"]
    original = source_file(kepri2022, PERIODE, "21.02").read_bytes()
    lines = original.decode().splitlines(keepends=True)
    corrected = "".join(lines[:-10]).encode()  # ten distributions withdrawn
    other_before = query(
        dsn,
        "SELECT kode_kabkota, current_batch_id FROM core.kabkota_month "
        "WHERE kode_kabkota <> '21.02' ORDER BY 1",
    )
    old_batch = query(dsn, "SELECT current_batch_id FROM core.kabkota_month WHERE kode_kabkota = '21.02'")[0][
        0
    ]
    land(runtime_env["root"], kepri2022, PERIODE, "21.02", name="koreksi.csv", content=corrected)
    result = run_branch(PERIODE, "21.02")
    steps.publish("21", PERIODE)
    assert result["action"] == "loaded" and result["replaced_batch_id"] == old_batch
    assert (
        query(dsn, "SELECT count(*) FROM core.distribution_current WHERE kode_kabkota = '21.02'")[0][0]
        == len(lines) - 1 - 10
    )
    # the replaced batch is still there, marked superseded by the new one
    assert query(
        dsn, "SELECT superseded_by, row_count FROM core.load_batch WHERE batch_id = %s", (old_batch,)
    )[0] == (result["batch_id"], len(lines) - 1)
    statuses = [
        s
        for (s,) in query(
            dsn, "SELECT status FROM raw.submission WHERE kode_kabkota = '21.02' ORDER BY submission_id"
        )
    ]
    assert statuses == ["superseded", "accepted"]
    # no other kab/kota moved
    assert (
        query(
            dsn,
            "SELECT kode_kabkota, current_batch_id FROM core.kabkota_month "
            "WHERE kode_kabkota <> '21.02' ORDER BY 1",
        )
        == other_before
    )
    distributions = query(
        dsn,
        "SELECT distributions FROM mart.distribution_summary WHERE tahun = 2022 AND bulan = 3 "
        "AND kode_kabkota = '21.02' AND kode_program IS NULL",
    )[0][0]
    assert distributions == len(lines) - 1 - 10


def test_the_same_bytes_landed_twice_are_one_submission(loaded_month, runtime_env, kepri2022):
    before = snapshot(runtime_env["dsn"])
    land(runtime_env["root"], kepri2022, PERIODE, "21.03", name="kirim_ulang.csv")
    assert run_branch(PERIODE, "21.03")["action"] == "unchanged"
    after = snapshot(runtime_env["dsn"])
    assert after["distribution"] == before["distribution"]
    assert after["kabkota_month"] == before["kabkota_month"]
    assert len(after["submission"]) == len(before["submission"])


def test_a_rejected_resubmission_is_quarantined_and_the_accepted_month_stays(
    loaded_month, runtime_env, kepri2022
):
    dsn = runtime_env["dsn"]
    before = query(dsn, "SELECT current_batch_id FROM core.kabkota_month WHERE kode_kabkota = '21.71'")
    text = source_file(kepri2022, PERIODE, "21.71").read_text()
    header, first, *rest = text.splitlines(keepends=True)
    cells = first.split(",")
    cells[5] = cells[5][:15]  # a NIK that lost a digit
    bad = (header + ",".join(cells) + "".join(rest)).encode()
    landed = land(runtime_env["root"], kepri2022, PERIODE, "21.71", name="koreksi_salah.csv", content=bad)
    result = run_branch(PERIODE, "21.71")
    assert result["action"] == "rejected"
    assert [r["rule"] for r in result["reasons"] if r["severity"] == "error"] == ["nik_format"]
    quarantined = runtime_env["root"] / quarantine_key(dsn, result)
    assert hashlib.sha256(quarantined.read_bytes()).digest() == hashlib.sha256(landed.read_bytes()).digest()
    assert landed.read_bytes() == bad, "the landing file is never changed"
    reasons = json.loads((quarantined.parent / "reasons.json").read_text())
    assert reasons["reasons"][0]["rule"] == "nik_format"
    assert (
        query(dsn, "SELECT current_batch_id FROM core.kabkota_month WHERE kode_kabkota = '21.71'") == before
    )
    failed = query(
        dsn,
        "SELECT rule, unexpected_count, examples FROM dq.rule_result r JOIN raw.submission s "
        "USING (submission_id) WHERE s.status = 'rejected' AND NOT r.success",
    )
    assert [(rule, n) for rule, n, _ in failed] == [("nik_format", 1)]
    assert failed[0][2] == [{"source_line": 2, "nik_masked": cells[5][:4] + "*******" + cells[5][-4:]}]
    assert steps.report("21", PERIODE)["21.71"] == "rejected"


def test_an_older_file_never_replaces_a_newer_loaded_one(loaded_month, runtime_env, kepri2022):
    dsn = runtime_env["dsn"]
    lines = source_file(kepri2022, PERIODE, "21.04").read_bytes().splitlines(keepends=True)
    newer = land(runtime_env["root"], kepri2022, PERIODE, "21.04", name="baru.csv", content=b"".join(lines[:-1]))
    assert run_branch(PERIODE, "21.04")["action"] == "loaded"
    current = query(dsn, "SELECT current_batch_id FROM core.kabkota_month WHERE kode_kabkota = '21.04'")
    # the file first seen earlier is left alone in the folder (as a run that read it before the newer one would)
    newer.unlink()
    assert run_branch(PERIODE, "21.04")["action"] == "stale"
    assert (
        query(dsn, "SELECT current_batch_id FROM core.kabkota_month WHERE kode_kabkota = '21.04'") == current
    )


def test_a_missing_kabkota_is_reported_missing(runtime_env, kepri2022):
    steps.prepare_warehouse("21")
    land(runtime_env["root"], kepri2022, "2022-07", "21.71")
    assert run_branch("2022-07", "21.71")["action"] == "loaded"
    assert run_branch("2022-07", "21.05")["action"] == "missing"
    states = steps.report("21", "2022-07")
    assert states["21.71"] == "loaded" and states["21.05"] == "missing"
