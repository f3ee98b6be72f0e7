"""A correction for an approved (locked) kab/kota-month at the warehouse tier: held, not merged, alerted once;
unlocked through the CLI; merged by the next run of the month; and the merge's lock check never races an
approval (two connections).

Tanjungpinang (21.72) sends May and June 2022 through the branch's real steps (``run_branch``: extract, stage,
validate with the GX suite, merge) into a real PostgreSQL.
"""

from __future__ import annotations

import threading
import time

import psycopg2
import pytest

from bansos import approve
from bansos.approve.__main__ import main as approve_cli
from bansos.domain.handoff import Held, Validated, from_xcom, to_xcom
from bansos.domain.privacy import FULL_IDENTIFIER
from bansos.orchestration import steps
from bansos.publish import marts, status
from bansos.publish import report as report_mod
from bansos.warehouse import sqlfiles
from tests.conftest import pipeline_env
from tests.pipeline import land, load_months, query, run_branch, source_file

KODE = "21.72"


@pytest.fixture(scope="module")
def approved(pg_base, tmp_path_factory, kepri2022):
    """May and June of Tanjungpinang loaded through the branch's steps, May approved."""
    with pipeline_env(pg_base, tmp_path_factory, "held") as env:
        steps.prepare_warehouse("21")
        load_months(env.root, kepri2022, KODE, ("2022-05", "2022-06"), load=run_branch, run_id="first")
        approve.record(env.dsn, "21", "2022-05", "approved", who="kepala.dinas", source="rest")
        yield {"dsn": env.dsn, "root": env.root, "src": kepri2022}


def _correction(approved: dict, periode: str) -> bytes:
    """The month's file with its last line dropped: a valid correction that changes the figures."""
    lines = source_file(approved["src"], periode, KODE).read_bytes().splitlines(keepends=True)
    return b"".join(lines[:-1])


def _current_batch(dsn: str, periode: str) -> int:
    [(batch,)] = query(dsn, "SELECT current_batch_id FROM core.kabkota_month WHERE province = '21' "
                            "AND periode = %s AND kode_kabkota = %s", (periode, KODE))
    return batch


def _figures(dsn: str, bulan: int) -> list[tuple]:
    marts.refresh_all(dsn, "21", 2022)
    return query(dsn, "SELECT kode_program, kk_assisted, persons, distributions, total_rupiah "
                      "FROM mart.distribution_summary WHERE tahun = 2022 AND bulan = %s AND kode_kabkota = %s "
                      "ORDER BY kode_program NULLS FIRST", (bulan, KODE))


def _held_alerts(dsn: str, periode: str) -> list[tuple]:
    return query(dsn, "SELECT kind, kode_kabkota, payload::text FROM dq.alert WHERE kind = 'held' AND periode = %s",
                 (periode,))


def test_held_then_unlocked_then_merged(approved, capsys):
    dsn, root = approved["dsn"], approved["root"]
    batch = _current_batch(dsn, "2022-05")
    before = _figures(dsn, 5)
    assert approve.state(dsn, "21", "2022-05") == {KODE: ("final", True)}
    capsys.readouterr()

    land(root, approved["src"], "2022-05", KODE, name="koreksi_mei.csv", content=_correction(approved, "2022-05"))
    held = from_xcom(run_branch("2022-05", KODE, run_id="correction"))
    assert isinstance(held, Held) and not held.goes_on
    assert (held.approved_batch_id, held.ending()) == (batch, f"{KODE} 2022-05: held: month locked "
                                                              f"(submission {held.submission_id})")
    assert _current_batch(dsn, "2022-05") == batch, "the approved batch stays loaded"
    assert _figures(dsn, 5) == before, "a held correction changes no figure"
    [(status, reasons)] = query(dsn, "SELECT status, reasons FROM raw.submission WHERE submission_id = %s",
                                (held.submission_id,))
    assert status == "held" and reasons[0]["rule"] == "month_locked"
    assert query(dsn, "SELECT count(*) FROM dq.rule_result WHERE submission_id = %s",
                 (held.submission_id,))[0][0] > 0, "the correction was validated"
    [(kind, kode, payload)] = _held_alerts(dsn, "2022-05")
    assert (kind, kode) == ("held", KODE)
    assert "python -m bansos.approve unlock --province 21 --periode 2022-05 --kabkota 21.72" in payload
    assert "koreksi_mei" not in payload and not FULL_IDENTIFIER.search(payload)
    staging = query(dsn, "SELECT count(*) FROM pg_tables WHERE schemaname = 'staging'")[0][0]
    assert staging == 0, "the held correction's staging (clear NIK) is dropped"

    # the next run while the month is still locked: found held, not validated again, alerted once only
    again = from_xcom(run_branch("2022-05", KODE, run_id="again"))
    assert (again.state.value, again.submission_id) == ("held", held.submission_id)
    assert len(_held_alerts(dsn, "2022-05")) == 1
    _shows(dsn, may="held", june="awaiting_approval")
    assert steps.report("21", "2022-05")[KODE] == "held"
    lines = report_mod.render("21", "2022-05", report_mod.period_status(dsn, "21", "2022-05"))
    assert f"{KODE} " in lines and "held: month locked" in lines and "final" in lines

    assert approve_cli(["unlock", "--province", "21", "--periode", "2022-05", "--kabkota", KODE,
                        "--reason", "koreksi Tanjungpinang Mei", "--who", "data.engineer"]) == 0
    out = capsys.readouterr().out
    assert f"released batches (provisional again): {batch}" in out
    assert f"{KODE}  submission {held.submission_id}" in out and "re-run the month 2022-05" in out
    assert approve.state(dsn, "21", "2022-05") == {KODE: ("provisional", False)}

    merged = run_branch("2022-05", KODE, run_id="after-unlock")
    assert (merged["kind"], merged["action"], merged["submission_id"]) == ("merged", "loaded", held.submission_id)
    assert merged["replaced_batch_id"] == batch and _current_batch(dsn, "2022-05") == merged["batch_id"]
    assert approve.state(dsn, "21", "2022-05") == {KODE: ("provisional", False)}, "approval needed again"
    after = _figures(dsn, 5)
    assert after != before and after[0][3] == before[0][3] - 1, "one distribution fewer"
    decisions = [(r["decision"], r["kode_kabkota"], r["decided_by"]) for r in approve.history(dsn, "21", "2022-05")]
    assert decisions == [("approved", None, "kepala.dinas"), ("unlocked", KODE, "data.engineer")]
    assert len(_held_alerts(dsn, "2022-05")) == 1
    _shows(dsn, may="awaiting_approval", june="awaiting_approval")
    assert steps.report("21", "2022-05")[KODE] == "loaded"
    [may] = [s for s in report_mod.period_status(dsn, "21", "2022-05") if s.kode == KODE]
    assert may.approval == "awaiting approval"
    published = steps.publish("21", "2022-05")
    assert (published["provisional_months"], published["kk_sum_programmes_final"]) == (2, 0)
    assert published["kk_sum_programmes"] > 0

    capsys.readouterr()  # the steps' log lines
    assert approve_cli(["history", "--province", "21", "--periode", "2022-05"]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines()[1:] if line.strip()]
    assert len(lines) == 2 and " approved " in lines[0] and " unlocked " in lines[1]
    assert "koreksi Tanjungpinang Mei" in lines[1] and not FULL_IDENTIFIER.search(out)


def _shows(dsn: str, may: str, june: str) -> None:
    """The status page's May and June cells of Tanjungpinang carry these approval marks (timeliness unchanged)."""
    matrix = status.completeness(dsn, "21", 2022)
    cells = {bulan: matrix.cells[(KODE, bulan)] for bulan in (5, 6)}
    assert {bulan: cell.mark for bulan, cell in cells.items()} == {5: may, 6: june}
    assert all(cell.status in ("on_time", "late") for cell in cells.values())
    page = status.page(dsn, ["21"], status.Links())
    row = page.split(f'<tr data-kabkota="{KODE}">', 1)[1].split("</tr>", 1)[0]
    assert f'data-approval="{may}"' in row and f'data-approval="{june}"' in row
    assert ("held: month locked" in row) == (may == "held")
    assert not FULL_IDENTIFIER.search(page)


def test_unlocking_what_is_not_locked_is_refused(approved, capsys):
    count = query(approved["dsn"], "SELECT count(*) FROM core.approval")
    assert approve_cli(["unlock", "--province", "21", "--periode", "2022-07", "--reason", "x", "--who", "a"]) == 2
    assert approve_cli(["unlock", "--province", "21", "--periode", "2022-05", "--reason", " ", "--who", "a"]) == 2
    assert "nothing unlocked" in capsys.readouterr().err
    assert query(approved["dsn"], "SELECT count(*) FROM core.approval") == count


def _waiting_on_advisory_lock(dsn: str, pid_of_other: int) -> bool:
    rows = query(dsn, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND pid <> %s",
                 (pid_of_other,))
    return rows[0][0] > 0


def test_a_merge_waits_for_an_approval_being_recorded_and_then_holds(approved):
    """Connection A records an approval of June and has not committed; the correction's merge (another
    connection, in a thread) must wait on the approval's advisory lock and, once A commits, see the lock."""
    dsn, root = approved["dsn"], approved["root"]
    batch = _current_batch(dsn, "2022-06")
    land(root, approved["src"], "2022-06", KODE, name="koreksi_juni.csv", content=_correction(approved, "2022-06"))
    ref = steps.stage(steps.extract("21", "2022-06", KODE), "race")
    assert ref["action"] == "process"
    validated = to_xcom(Validated(**vars(from_xcom(ref)), warnings=()))

    params = {"province": "21", "periode": "2022-06"}
    decision = psycopg2.connect(dsn)
    try:
        with decision.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            (decision_pid,) = cur.fetchone()
            cur.execute(sqlfiles.read("approve/lock_month.sql"), params)
            cur.execute(sqlfiles.read("approve/record_decision.sql"), params | {
                "decision": "approved", "kode_kabkota": None, "held": [], "reason": "", "who": "kepala.dinas",
                "batch_ids": [batch], "run_id": None, "source": "rest"})
        result: dict = {}
        merge = threading.Thread(target=lambda: result.update(steps.merge(validated, "race")))
        merge.start()
        give_up = time.monotonic() + 60
        while not _waiting_on_advisory_lock(dsn, decision_pid):  # a condition, not a duration
            assert merge.is_alive() and time.monotonic() < give_up, "the merge did not wait for the decision"
            time.sleep(0.05)
        assert not result, "the merge is waiting"
        decision.commit()
    finally:
        decision.close()
    merge.join(60)
    assert (result["kind"], result["action"]) == ("held", "held")
    assert _current_batch(dsn, "2022-06") == batch
    assert approve.state(dsn, "21", "2022-06") == {KODE: ("final", True)}


def test_a_decision_waits_for_a_merge_in_progress(approved):
    """The other way round: a merge holds the lock shared (its transaction open); the decision waits for it."""
    dsn = approved["dsn"]
    merging = psycopg2.connect(dsn)
    try:
        with merging.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            (merge_pid,) = cur.fetchone()
            sqlfiles.run_script(cur, sqlfiles.read("merge/month_locked.sql"),
                                {"province": "21", "periode": "2022-07", "kode_kabkota": KODE})
        done: list = []
        decide = threading.Thread(target=lambda: done.append(approve.record(
            dsn, "21", "2022-07", "rejected", reason="belum lengkap", who="kepala.dinas", source="ui")))
        decide.start()
        give_up = time.monotonic() + 60
        while not _waiting_on_advisory_lock(dsn, merge_pid):
            assert decide.is_alive() and time.monotonic() < give_up, "the decision did not wait for the merge"
            time.sleep(0.05)
        assert not done
        merging.commit()
    finally:
        merging.close()
    decide.join(60)
    assert done and done[0].decision == "rejected"


def test_a_newer_correction_supersedes_a_held_one(approved):
    """June is approved and holds a correction (the race test); a second correction lands: it is held in turn,
    the first one is superseded, and one alert is recorded per held correction."""
    dsn, root = approved["dsn"], approved["root"]
    [(first,)] = query(dsn, "SELECT submission_id FROM raw.submission WHERE periode = '2022-06' AND status = 'held'")
    lines = source_file(approved["src"], "2022-06", KODE).read_bytes().splitlines(keepends=True)
    land(root, approved["src"], "2022-06", KODE, name="koreksi_juni_2.csv", content=b"".join(lines[:-2]))
    second = from_xcom(run_branch("2022-06", KODE, run_id="second"))
    assert isinstance(second, Held) and second.submission_id != first
    states = dict(query(dsn, "SELECT submission_id, status FROM raw.submission WHERE submission_id IN (%s, %s)",
                        (first, second.submission_id)))
    assert states == {first: "superseded", second.submission_id: "held"}
    assert len(_held_alerts(dsn, "2022-06")) == 2
    assert [h["submission_id"] for h in approve.held_submissions(dsn, "21", "2022-06")] == [second.submission_id]
