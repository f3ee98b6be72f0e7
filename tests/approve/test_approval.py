"""The province's approval of a month at the warehouse tier: real branches through the pipeline's steps into a
real PostgreSQL, then decisions recorded, the derived state, the lock, the marts' status and the request.

Three kab/kota (Tanjungpinang, Bintan, Batam) send January to April 2022; in March Batam's file has NIKs cut
short (rejected), so March shows loaded, rejected and missing kab/kota. Each scenario has its own month:
January approved with Bintan held back, February approved, March rejected, April approved, then a correction
from Tanjungpinang that waits for an unlock before it is merged and approved again.
"""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import psycopg2
import pytest
from psycopg2 import errors

from bansos import approve
from bansos.domain.handoff import Validated, from_xcom, to_xcom
from bansos.domain.privacy import FULL_IDENTIFIER
from bansos.orchestration import steps
from bansos.publish import marts
from tests.conftest import pipeline_env
from tests.pipeline import KABKOTA, land, query, run_branch, source_file
from tools.synthetic.defects import make_defective

WIB = ZoneInfo("Asia/Jakarta")
SENDERS = ("21.72", "21.01", "21.71")
MONTHS = ("2022-01", "2022-02", "2022-03", "2022-04")
AS_OF = datetime(2022, 6, 1, tzinfo=WIB)


def _merge_without_suite(periode: str, kode: str, run_id: str) -> dict:
    """extract -> stage -> merge (the synthetic files pass the GX suite, which tests/validate/ covers)."""
    ref = steps.extract("21", periode, kode)
    if ref["action"] == "process":
        ref = steps.stage(ref, run_id)
    if ref["action"] == "process":
        ref = steps.merge(to_xcom(Validated(**vars(from_xcom(ref)), warnings=())), run_id)
    return ref


@pytest.fixture(scope="module")
def months(pg_base, tmp_path_factory, kepri2022):
    with pipeline_env(pg_base, tmp_path_factory, "approval") as env:
        steps.prepare_warehouse("21")
        actions = {}
        for periode in MONTHS:
            for kode in SENDERS:
                if (periode, kode) == ("2022-03", "21.71"):
                    data, suffix = make_defective("nik_short", source_file(kepri2022, periode, kode).read_bytes(),
                                                  kode)
                    land(env.root, kepri2022, periode, kode, name=f"maret{suffix}", content=data)
                    actions[(periode, kode)] = run_branch(periode, kode, run_id="approval")["action"]
                else:
                    land(env.root, kepri2022, periode, kode)
                    actions[(periode, kode)] = _merge_without_suite(periode, kode, "approval")["action"]
        assert actions == {pair: "rejected" if pair == ("2022-03", "21.71") else "loaded" for pair in actions}
        marts.refresh_all(env.dsn, "21", 2022, as_of=AS_OF)
        yield {"dsn": env.dsn, "root": env.root, "src": kepri2022}


def _figures(dsn: str) -> dict:
    """Every figure the marts held before this issue's columns, keyed by grain: they must never move."""
    summary = query(dsn, "SELECT tahun, bulan, kode_kabkota, kode_program, kk_assisted, kk_sum_programmes, persons, "
                         "distributions, total_rupiah, recipients FROM mart.distribution_summary ORDER BY 1, 2, 3, 4")
    region = query(dsn, "SELECT periode, kode_wilayah, kode_program, kk_assisted, kk_sum_programmes, persons, "
                        "distributions, total_rupiah FROM mart.distribution_by_region ORDER BY 1, 2, 3")
    return {"summary": summary, "region": region}


def _refresh(dsn: str) -> None:
    marts.refresh_all(dsn, "21", 2022, as_of=AS_OF)


def _mart_status(dsn: str, bulan: int) -> dict:
    """(approval_status, provisional_months) of each kab/kota's all-programme row of a month in the summary mart."""
    rows = query(dsn, "SELECT kode_kabkota, approval_status, provisional_months FROM mart.distribution_summary "
                      "WHERE province = '21' AND tahun = 2022 AND bulan = %s AND kode_kabkota IS NOT NULL "
                      "AND kode_program IS NULL", (bulan,))
    return {kode: (status, n) for kode, status, n in rows}


def _region_status(dsn: str, periode: str) -> dict:
    rows = query(dsn, "SELECT DISTINCT kode_kabkota, approval_status FROM mart.distribution_by_region "
                      "WHERE province = '21' AND periode = %s AND tingkat IN ('kabupaten_kota', 'kecamatan')",
                      (periode,))
    out: dict[str, set] = {}
    for kode, status in rows:
        out.setdefault(kode, set()).add(status)
    return out


def test_approve_a_month_makes_it_final_and_locked(months):
    dsn = months["dsn"]
    seen = approve.request(dsn, "21", "2022-02")
    recorded = approve.record(dsn, "21", "2022-02", "approved", who="kepala.dinas", source="rest",
                              run_id="scheduled__2022-03-01", expected_batches=seen.batch_ids)
    assert sorted(recorded.batch_ids) == sorted(seen.batch_ids.values())
    assert approve.state(dsn, "21", "2022-02") == {kode: ("final", True) for kode in SENDERS}
    assert all(approve.is_locked(dsn, "21", "2022-02", kode) for kode in SENDERS)
    assert not approve.is_locked(dsn, "21", "2022-02", "21.02"), "nothing of Lingga is loaded, so nothing is locked"
    (row,) = approve.history(dsn, "21", "2022-02")
    assert (row["decision"], row["decided_by"], row["source"], row["run_id"], row["held"]) == (
        "approved", "kepala.dinas", "rest", "scheduled__2022-03-01", [])
    _refresh(dsn)
    assert _mart_status(dsn, 2) == {kode: ("final", 0) for kode in SENDERS}
    assert _region_status(dsn, "2022-02") == {kode: {"final"} for kode in SENDERS}
    [(province_month,)] = query(dsn, "SELECT approval_status FROM mart.distribution_summary WHERE tahun = 2022 "
                                     "AND bulan = 2 AND kode_kabkota IS NULL AND kode_program IS NULL")
    assert province_month == "final"


def test_approve_with_one_kabkota_held_back(months):
    dsn = months["dsn"]
    approve.record(dsn, "21", "2022-01", "approved_with_held", held=["21.01"],
                   reason="Bintan: jumlah KPM PMKS turun, menunggu konfirmasi", who="kepala.dinas", source="ui")
    assert approve.state(dsn, "21", "2022-01") == {"21.72": ("final", True), "21.01": ("held", False),
                                                   "21.71": ("final", True)}
    assert not approve.is_locked(dsn, "21", "2022-01", "21.01")
    (row,) = approve.history(dsn, "21", "2022-01")
    [(bintan_batch,)] = query(dsn, "SELECT current_batch_id FROM core.kabkota_month WHERE periode = '2022-01' "
                                   "AND kode_kabkota = '21.01'")
    assert row["held"] == ["21.01"] and bintan_batch not in row["batch_ids"] and len(row["batch_ids"]) == 2
    _refresh(dsn)
    assert _mart_status(dsn, 1) == {"21.72": ("final", 0), "21.01": ("provisional", 1), "21.71": ("final", 0)}
    assert _region_status(dsn, "2022-01")["21.01"] == {"provisional"}
    [(status, provisional)] = query(dsn, "SELECT approval_status, provisional_months FROM mart.distribution_summary "
                                         "WHERE tahun = 2022 AND bulan = 1 AND kode_kabkota IS NULL "
                                         "AND kode_program IS NULL")
    assert (status, provisional) == ("provisional", 1)


def test_reject_leaves_the_month_provisional(months):
    dsn = months["dsn"]
    seen = approve.request(dsn, "21", "2022-03")
    states = {k.kode: k.state for k in seen.kabkota}
    assert states == {"21.72": "loaded", "21.01": "loaded", "21.71": "rejected", "21.02": "missing",
                      "21.04": "missing", "21.03": "missing", "21.05": "missing"}
    recorded = approve.record(dsn, "21", "2022-03", "rejected", reason="Batam belum mengirim data yang benar",
                              who="kepala.dinas", source="ui", expected_batches=seen.batch_ids)
    assert sorted(recorded.batch_ids) == sorted(seen.batch_ids.values()) and len(recorded.batch_ids) == 2
    assert approve.state(dsn, "21", "2022-03") == {"21.72": ("provisional", False), "21.01": ("provisional", False)}
    _refresh(dsn)
    assert _mart_status(dsn, 3) == {"21.72": ("provisional", 1), "21.01": ("provisional", 1)}


def test_a_correction_for_an_approved_month_waits_for_an_unlock(months):
    dsn, root, src = months["dsn"], months["root"], months["src"]
    approve.record(dsn, "21", "2022-04", "approved", who="kepala.dinas", source="rest")
    [(approved_batch,)] = query(dsn, "SELECT current_batch_id FROM core.kabkota_month WHERE periode = '2022-04' "
                                     "AND kode_kabkota = '21.72'")
    # Tanjungpinang sends a correction: one line fewer
    lines = source_file(src, "2022-04", "21.72").read_bytes().splitlines(keepends=True)
    land(root, src, "2022-04", "21.72", name="koreksi_april.csv", content=b"".join(lines[:-1]))
    ref = steps.extract("21", "2022-04", "21.72")
    ref = steps.stage(ref, "correction")
    assert ref["action"] == "process"
    assert approve.is_locked(dsn, "21", "2022-04", "21.72"), "the month is locked: the correction must wait"
    assert approve.state(dsn, "21", "2022-04")["21.72"] == ("final", True)

    with pytest.raises(approve.NotLocked):
        approve.unlock(dsn, "21", "2022-03", None, reason="salah bulan", who="data.engineer", source="cli")
    unlocked = approve.unlock(dsn, "21", "2022-04", "21.72", reason="koreksi Tanjungpinang", who="data.engineer",
                              source="cli")
    assert unlocked.batch_ids == (approved_batch,)
    assert approve.state(dsn, "21", "2022-04") == {"21.72": ("provisional", False), "21.01": ("final", True),
                                                   "21.71": ("final", True)}
    merged = steps.merge(to_xcom(Validated(**vars(from_xcom(ref)), warnings=())), "correction")
    assert merged["action"] == "loaded"
    [(new_batch,)] = query(dsn, "SELECT current_batch_id FROM core.kabkota_month WHERE periode = '2022-04' "
                                "AND kode_kabkota = '21.72'")
    assert new_batch != approved_batch
    assert approve.state(dsn, "21", "2022-04")["21.72"] == ("provisional", False)
    _refresh(dsn)
    assert _mart_status(dsn, 4)["21.72"] == ("provisional", 1)

    # an answer to the request seen before the correction would sign a batch nobody looked at
    stale = {"21.72": approved_batch, "21.01": 0, "21.71": 0}
    with pytest.raises(approve.StaleRequest):
        approve.record(dsn, "21", "2022-04", "approved", who="kepala.dinas", source="rest", expected_batches=stale)
    seen = approve.request(dsn, "21", "2022-04")
    approve.record(dsn, "21", "2022-04", "approved", who="kepala.dinas", source="rest",
                   expected_batches=seen.batch_ids)
    assert approve.state(dsn, "21", "2022-04") == {kode: ("final", True) for kode in SENDERS}
    decisions = [(r["decision"], r["kode_kabkota"], r["batch_ids"]) for r in approve.history(dsn, "21", "2022-04")]
    assert [d[:2] for d in decisions] == [("approved", None), ("unlocked", "21.72"), ("approved", None)]
    assert new_batch not in decisions[0][2] and new_batch in decisions[2][2], "the first approval did not cover it"
    _refresh(dsn)
    assert _mart_status(dsn, 4)["21.72"] == ("final", 0)


def test_a_batch_merged_past_an_approval_is_not_final(months):
    """Should a batch replace an approved one without an unlock, the month does not stay final on its name."""
    dsn = months["dsn"]
    approve.record(dsn, "21", "2022-02", "approved", who="kepala.dinas", source="ui")
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT current_batch_id FROM core.kabkota_month WHERE periode = '2022-01' "
                    "AND kode_kabkota = '21.72'")
        (other_batch,) = cur.fetchone()
        cur.execute("SELECT status, locked FROM core.kabkota_month_approval "
                    "WHERE periode = '2022-02' AND kode_kabkota = '21.72'")
        assert cur.fetchone() == ("final", True)
        cur.execute("SAVEPOINT s")
        cur.execute("UPDATE core.kabkota_month SET current_batch_id = %s WHERE periode = '2022-02' "
                    "AND kode_kabkota = '21.72'", (other_batch,))
        cur.execute("SELECT status, locked FROM core.kabkota_month_approval "
                    "WHERE periode = '2022-02' AND kode_kabkota = '21.72'")
        assert cur.fetchone() == ("provisional", True)
        cur.execute("ROLLBACK TO SAVEPOINT s")


@pytest.mark.parametrize("statement", [
    "UPDATE core.approval SET decision = 'approved', held = '{}'",
    "UPDATE core.approval SET reason = 'diubah'",
    "DELETE FROM core.approval",
    "TRUNCATE core.approval",
])
def test_the_history_is_never_changed_or_deleted(months, statement):
    dsn = months["dsn"]
    approve.record(dsn, "21", "2022-03", "rejected", reason="tetap ditolak", who="kepala.dinas", source="cli")
    before = query(dsn, "SELECT * FROM core.approval ORDER BY approval_id")
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur, pytest.raises(errors.InsufficientPrivilege,
                                                                            match="append-only"):
        cur.execute(statement)
    assert query(dsn, "SELECT * FROM core.approval ORDER BY approval_id") == before


@pytest.mark.parametrize(("decision", "held", "reason", "who", "source"), [
    ("approved", ["21.01"], "", "kepala.dinas", "ui"),
    ("approved_with_held", [], "alasan", "kepala.dinas", "ui"),
    ("approved_with_held", ["99.99"], "alasan", "kepala.dinas", "ui"),
    ("rejected", [], " ", "kepala.dinas", "ui"),
    ("approved", [], "", "", "ui"),
    ("approved", [], "", "kepala.dinas", "email"),
    ("unlocked", [], "alasan", "kepala.dinas", "ui"),
])
def test_a_malformed_decision_is_refused_and_not_recorded(months, decision, held, reason, who, source):
    dsn = months["dsn"]
    count = query(dsn, "SELECT count(*) FROM core.approval")
    with pytest.raises(ValueError):
        approve.record(dsn, "21", "2022-02", decision, held=held, reason=reason, who=who, source=source)
    assert query(dsn, "SELECT count(*) FROM core.approval") == count


def test_the_request_figures_are_the_marts(months):
    dsn = months["dsn"]
    _refresh(dsn)
    seen = approve.request(dsn, "21", "2022-02")
    assert [k.kode for k in seen.kabkota] == KABKOTA
    marts_cells = {(kode, prog, bulan): (kk, rp) for kode, prog, bulan, kk, rp in query(
        dsn, "SELECT kode_kabkota, kode_program, bulan, kk_assisted, total_rupiah FROM mart.distribution_summary "
             "WHERE province = '21' AND tahun = 2022 AND bulan IN (1, 2) AND kode_kabkota IS NOT NULL "
             "AND kode_program IS NOT NULL")}
    rows = dict(query(dsn, "SELECT b.kode_kabkota, b.row_count FROM core.kabkota_month AS km JOIN core.load_batch "
                           "AS b ON b.batch_id = km.current_batch_id WHERE km.periode = '2022-02'"))
    checked = 0
    for k in seen.kabkota:
        assert k.rows == rows.get(k.kode, 0)
        assert k.state == ("loaded" if k.kode in SENDERS else "missing")
        for p in k.programmes:
            assert (p.kk, p.rupiah) == marts_cells.get((k.kode, p.kode_program, 2), (0, 0)), (k.kode, p.kode_program)
            assert (p.kk_previous, p.rupiah_previous) == marts_cells.get((k.kode, p.kode_program, 1), (0, 0))
            checked += 1
        summed = query(dsn, "SELECT kk_sum_programmes, total_rupiah FROM mart.distribution_summary WHERE tahun = 2022 "
                            "AND bulan = 2 AND kode_kabkota = %s AND kode_program IS NULL", (k.kode,))
        assert [(k.kk_sum, k.rupiah)] == (summed or [(0, 0)])
        assert (k.dq_warnings, k.integrity_findings) == (0, 0)
    assert checked >= 6
    assert {(kode, prog) for kode, prog, _bulan in marts_cells} == {
        (k.kode, p.kode_program) for k in seen.kabkota for p in k.programmes}


def test_the_request_is_json_and_markdown_without_personal_data(months):
    seen = approve.request(months["dsn"], "21", "2022-03", links={"run": "/dags/bansos_monthly_21/runs/x"})
    text = json.dumps(seen.to_dict())
    assert approve.ApprovalRequest.from_dict(json.loads(text)) == seen
    body = seen.markdown()
    assert "| 21.71 Kota Batam | rejected |" in body
    assert "[run](/dags/bansos_monthly_21/runs/x)" in body
    for blob in (text, body):
        assert not FULL_IDENTIFIER.search(blob)


def test_existing_figures_do_not_move_and_the_final_headline_counts_final_months_only(months):
    dsn = months["dsn"]
    _refresh(dsn)
    before = _figures(dsn)
    approve.record(dsn, "21", "2022-02", "approved", who="kepala.dinas", source="ui")
    approve.record(dsn, "21", "2022-03", "approved", reason="Batam menyusul", who="kepala.dinas", source="ui")
    _refresh(dsn)
    assert _mart_status(dsn, 3) == {"21.72": ("final", 0), "21.01": ("final", 0)}
    assert _figures(dsn) == before, "a decision moves the status columns; it changes no figure"
    expected = query(dsn, """
        SELECT coalesce(sum(kk), 0) FROM (
            SELECT c.kode_program, count(DISTINCT c.kk_hash) AS kk
            FROM core.distribution_current AS c
            JOIN core.kabkota_month_approval AS a USING (province, periode, kode_kabkota)
            WHERE c.province = '21' AND a.status = 'final' GROUP BY 1) AS p""")[0][0]
    [(headline, final, status, provisional)] = query(
        dsn, "SELECT kk_sum_programmes, kk_sum_programmes_final, approval_status, provisional_months "
             "FROM mart.distribution_summary WHERE tahun = 2022 AND bulan IS NULL AND kode_kabkota IS NULL "
             "AND kode_program IS NULL")
    assert 0 < final == expected < headline
    assert status == "provisional" and provisional > 0
    [(region_final,)] = query(dsn, "SELECT kk_sum_programmes_final FROM mart.distribution_by_region "
                                   "WHERE tahun = 2022 AND jenis_periode = 'tahun' AND tingkat = 'provinsi' "
                                   "AND kode_program IS NULL")
    assert region_final == final
