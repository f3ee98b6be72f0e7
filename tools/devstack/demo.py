"""``make demo``: Kepulauan Riau 2022 through the real Airflow scheduler, then the province's table.

Lands the synthetic 2022 extracts (only files whose bytes changed, so a second demo changes
nothing), starts the stack, backfills the twelve months of 2022 and prints the yearly table
programme x kab/kota from the warehouse, with the Airflow UI address and login.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bansos.domain import dags
from bansos.domain.config import load_province
from bansos.domain.layout import (
    correction_list_keys,
    datadocs_folder,
    landing_folder,
    landing_key,
    outbox_folder,
)
from bansos.domain.storage import LocalStore, open_store
from bansos.publish import publication
from bansos.publish import yearly as publish
from bansos.validate.datadocs import find_validation_page
from tools.devstack import stack as stack_mod

log = logging.getLogger(__name__)

PROVINCE = "21"
DAG_ID = dags.monthly(PROVINCE)
YEAR = 2022
# The logical date of a month's run is its interval start (the 1st, 02:00 WIB); these bounds take
# January to December 2022 and nothing else.
FROM_DATE = f"{YEAR}-01-01T00:00:00+07:00"
TO_DATE = f"{YEAR}-12-31T00:00:00+07:00"
# After the year is loaded, Kota Batam sends a faulty correction for December: it must be rejected,
# quarantined and alerted, while the accepted December file stays and the 2022 table stays exact.
CORRECTION_KABKOTA, CORRECTION_PERIODE, CORRECTION_DEFECT = "21.71", "2022-12", "nik_scientific"
CORRECTION_RUN_ID = "koreksi_batam_2022_12"
LATE_2022 = {("21.05", "2022-02"), ("21.05", "2022-07")}  # Anambas sent two months after the deadline
PUBLISH_DAG_ID = dags.publish(PROVINCE)
APPROVAL_DAG_ID = dags.approval(PROVINCE)
# After the year is approved, Tanjungpinang sends a valid correction for June (one recipient's name corrected:
# the same figures, other bytes): June is approved and locked, so it is held until the demo unlocks it.
VALID_KABKOTA, VALID_PERIODE = "21.72", "2022-06"
VALID_FILE = "koreksi_nama_tanjungpinang_juni2022.csv"
APPROVER_REASON = "Angka 2022 diperiksa bidang data (checked by the data section)"
# Months the demo's backfill runs at once: the DAG's own max_active_runs. With three, a quiet machine idled in the
# hops between one run's dependent tasks (docs/decisions.md, issue 14 item 3).
BACKFILL_ACTIVE_RUNS = 4


def land(data_root: str, files_root: Path, landed_at=None) -> int:
    """Copy generated files into the landing area unless the same bytes are already there.

    ``landed_at(periode, kode_kabkota)`` may give a landing time to stamp on a local file (its mtime),
    so the completeness matrix shows what an office's sending habits would; S3 stamps its own time.
    """
    store = open_store(data_root, s3_client_factory=_s3_client)
    changed = 0
    for path in sorted(files_root.rglob("*")):
        if not path.is_file():
            continue
        key = landing_key(path.relative_to(files_root).as_posix())
        data = path.read_bytes()
        if store.exists(key):
            with store.open(key) as fh:
                if fh.read() == data:
                    continue
        store.put_bytes(key, data, "text/csv")
        changed += 1
        if landed_at is not None and isinstance(store, LocalStore):
            _, _, periode, kode, _ = key.split("/", 4)
            stamp = landed_at(periode, kode).timestamp()
            os.utime(store.root / key, (stamp, stamp))
    return changed


def typical_landing(periode: str, kode_kabkota: str) -> datetime:
    """When Kepri's offices sent their 2022 files: the 5th of the next month, Anambas late twice."""
    year, month = int(periode[:4]), int(periode[5:7])
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    day = 14 if (kode_kabkota, periode) in LATE_2022 else 5
    return datetime(year, month, day, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta"))


def _s3_client():
    from bansos.warehouse.runtime import _s3_client

    return _s3_client()


def land_kepri_2022(data_root: str) -> int:
    from tools.synthetic.kepri2022 import write_kepri_2022

    with tempfile.TemporaryDirectory() as tmp:
        write_kepri_2022(Path(tmp))
        return land(data_root, Path(tmp), landed_at=typical_landing)


def land_faulty_correction(data_root: str) -> int:
    """A correction from Kota Batam for December whose NIKs Excel turned into 3.17E+15."""
    from tools.synthetic.defects import write_defective_extract

    with tempfile.TemporaryDirectory() as tmp:
        write_defective_extract(Path(tmp), CORRECTION_DEFECT, CORRECTION_KABKOTA, CORRECTION_PERIODE)
        return land(data_root, Path(tmp))


def enable_publishing(stack: stack_mod.Stack) -> None:
    """Unpause the publish DAG: from now on every monthly run's Asset event triggers a publication.

    Done after the backfill, so the year is published once (by the correction run's event) rather
    than after each of the twelve months while they load.
    """
    api = stack.api()
    api.wait_for_dag(PUBLISH_DAG_ID)
    api.patch(f"/dags/{PUBLISH_DAG_ID}", {"is_paused": False})


def run_correction(stack: stack_mod.Stack, timeout: float = 600) -> dict:
    """Run December again for the correction (once: the run id is fixed); returns the run."""
    api = stack.api()
    enable_publishing(stack)
    runs = {r["dag_run_id"]: r for r in api.dag_runs(DAG_ID)}
    if CORRECTION_RUN_ID not in runs:
        api.trigger(DAG_ID, conf={"periode": CORRECTION_PERIODE}, run_id=CORRECTION_RUN_ID)
    finished = api.wait_runs_finished(DAG_ID, len(runs) + (CORRECTION_RUN_ID not in runs), timeout=timeout)
    return next(r for r in finished if r["dag_run_id"] == CORRECTION_RUN_ID)


def wait_for_publication(stack: stack_mod.Stack, after: str | None = None, timeout: float = 900) -> list[dict]:
    """Wait until the publish DAG, triggered by the monthly runs' Asset events, has nothing left to do.

    ``after`` is when the last monthly run started (ISO), if no other monthly run ended after it:
    once a publish run queued after it has finished, nothing is left. Otherwise the wait gives a
    last event a few seconds to become a run.
    """

    api = stack.api()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = api.dag_runs(PUBLISH_DAG_ID)
        if runs and all(r["state"] in ("success", "failed") for r in runs):
            if after and any(_instant(r["queued_at"]) >= _instant(after) for r in runs if r.get("queued_at")):
                return runs
            time.sleep(5)  # a last event may still be turning into a run
            again = api.dag_runs(PUBLISH_DAG_ID)
            if len(again) == len(runs) and all(r["state"] in ("success", "failed") for r in again):
                return again
        time.sleep(1)
    raise TimeoutError(f"{PUBLISH_DAG_ID} still running after {timeout}s")


def _instant(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def rejection_summary(stack: stack_mod.Stack) -> list[str]:
    """Where a newcomer finds the rejected correction: reasons, quarantine copy, correction list, Data Docs, alert."""
    from bansos.warehouse.database import connect

    with connect(stack.warehouse_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT submission_id, archive_key, quarantine_key, reasons FROM raw.submission "
            "WHERE province = %s AND periode = %s AND kode_kabkota = %s AND status = 'rejected' "
            "ORDER BY submission_id DESC LIMIT 1",
            (PROVINCE, CORRECTION_PERIODE, CORRECTION_KABKOTA),
        )
        row = cur.fetchone()
    if row is None:
        return ["(no rejected correction found)"]
    submission_id, archive_key, quarantine_key, reasons = row
    root = stack.data_root.removeprefix("file://")
    folder = datadocs_folder(PROVINCE, CORRECTION_PERIODE, CORRECTION_KABKOTA, submission_id)
    page = find_validation_page(open_store(stack.data_root, s3_client_factory=_s3_client), folder)
    docs = f"{root}/{page or folder + '/'}"  # the validation page, as the alert links it; it works offline
    rules = ", ".join(f"{r['rule']} ({r.get('count')} rows)" for r in reasons if r.get("severity") == "error")
    outbox = sorted(Path(root, outbox_folder()).glob("*rejected*.txt")) if not root.startswith("s3://") else []
    return [
        f"Rejected correction {archive_key.rsplit('/', 1)[-1]} from {CORRECTION_KABKOTA} for {CORRECTION_PERIODE}: "
        f"{rules}; the accepted December file stays loaded.",
        f"  quarantine copy: {root}/{quarantine_key}",
        f"  correction list: {root}/{correction_list_keys(*quarantine_key.rsplit('/', 2))['.xlsx']} (and .csv)",
        f"  Data Docs:       {docs}",
        f"  alert (outbox):  {outbox[-1] if outbox else root + '/' + outbox_folder() + '/'}",
    ]


def run_year(stack: stack_mod.Stack, *, reprocess: str = "none", timeout: float = 1800, while_waiting=None,
             active_runs: int = 3, poll: float = 1) -> list[dict]:
    """Backfill the twelve months of YEAR, ``active_runs`` at a time, and wait for them; returns the runs.

    ``while_waiting(runs)`` (if given) is called at every look at the runs (every ``poll`` seconds) while they go
    on: the demo approves there the months whose requests came."""
    api = stack.api()
    api.wait_for_dag(DAG_ID)
    api.wait_for_dag(APPROVAL_DAG_ID)
    api.patch(f"/dags/{APPROVAL_DAG_ID}", {"is_paused": False})  # each monthly run asks for its approval there
    api.patch(f"/dags/{DAG_ID}", {"is_paused": False})
    before = len(api.dag_runs(DAG_ID))
    api.backfill(DAG_ID, FROM_DATE, TO_DATE, reprocess=reprocess, max_active_runs=active_runs)

    last = [""]

    def progress(runs):  # said when it changes
        states = {}
        for r in runs:
            states[r["state"]] = states.get(r["state"], 0) + 1
        said = ", ".join(f"{n} {s}" for s, n in sorted(states.items()))
        if said != last[0]:
            log.info("  runs: %s", said)
            last[0] = said
        if while_waiting is not None:
            while_waiting(runs)

    return api.wait_runs_finished(DAG_ID, max(12, before), timeout=timeout, progress=progress, poll=poll)


def periode_of(approval_run_id: str) -> str | None:
    """The month of an approval run started by a monthly run (``approval__<periode>__<monthly run id>``)."""
    parts = approval_run_id.split("__")
    return parts[1] if len(parts) >= 3 and parts[0] == "approval" else None


def unapproved_months(stack: stack_mod.Stack, year: int = YEAR) -> list[str]:
    """The months of ``year`` with a merged kab/kota that is not final."""
    from bansos.warehouse.database import connect

    with connect(stack.warehouse_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT DISTINCT periode FROM core.kabkota_month_approval WHERE province = %s "
                    "AND periode LIKE %s AND status <> 'final' ORDER BY 1", (PROVINCE, f"{year}-%"))
        return [p for (p,) in cur.fetchall()]


def answer(stack: stack_mod.Stack, run_id: str, option: str, held=(), reason: str = "") -> dict:
    """Answer a month's waiting approval through REST API v2, as a data engineer's script would."""
    from bansos.orchestration.answers import ANSWER_TASK_ID

    params = {"held": sorted(held), "reason": reason, "channel": "rest"}
    wait_pause_seen(stack, run_id, ANSWER_TASK_ID)
    return stack.api().answer_hitl(APPROVAL_DAG_ID, run_id, ANSWER_TASK_ID, [option], params)


def pause_seen(stack: stack_mod.Stack, run_id: str, task_id: str) -> bool:
    """Whether the scheduler has logged the drained event of the approval task's pause (see wait_pause_seen)."""
    needle = f"TaskInstance Finished: dag_id={APPROVAL_DAG_ID}, task_id={task_id}, run_id={run_id}, "
    path = stack.state_dir / "logs" / "scheduler.log"
    return path.exists() and needle in path.read_text(errors="replace")


def wait_pause_seen(stack: stack_mod.Stack, run_id: str, task_id: str, timeout: float = 120) -> bool:
    """Wait until the scheduler has seen the worker exit at the approval task's pause.

    Airflow 3.3.2's race (apache/airflow#67287, #72716, fixes still open): an answer that resumes the task
    before the scheduler has drained the executor's "success" for the worker's exit at the pause gets the
    resumed task failed as a "state mismatch". A person answers minutes after the request; a script can
    answer within a second, as this one did once at load 15. The scheduler logs the drained event as
    ``TaskInstance Finished: dag_id=..., task_id=..., run_id=..., ...``: answer after that line.
    Returns False (and answers anyway) if the line does not come within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pause_seen(stack, run_id, task_id):
            return True
        time.sleep(0.5)
    log.warning("the scheduler has not logged the pause of %s %s after %ss: answering anyway", run_id, task_id,
                timeout)
    return False


def waiting_months(stack: stack_mod.Stack, months, timeout: float) -> dict[str, str]:
    """Wait until a request waits for each of ``months`` (``hitlDetails``, matched by the month of its approval
    run); returns the approval run id of each month."""
    waiting = stack.api().wait_hitl_waiting(APPROVAL_DAG_ID, months, timeout, key=periode_of)
    return {periode: waiting[periode]["task_instance"]["dag_run_id"] for periode in months}


def approve_months(stack: stack_mod.Stack, months: list[str], timeout: float = 300) -> list[dict]:
    """Approve ``months`` through the REST API: list the waiting requests (``hitlDetails``), answer "approve
    all" for each, wait for the approval runs to record and refresh; returns those runs."""
    from bansos.orchestration.answers import APPROVE_ALL

    if not months:
        return []
    run_ids = waiting_months(stack, months, timeout)
    for periode in months:
        answer(stack, run_ids[periode], APPROVE_ALL, reason=APPROVER_REASON)
    api = stack.api()
    return [api.wait_run(APPROVAL_DAG_ID, run_ids[p], timeout=timeout) for p in months]


class ApproveAsTheyCome:
    """Approve the months of YEAR while the backfill still runs: each month as soon as its request waits and the
    scheduler has seen its pause. Called at every look at the backfill's runs; never waits itself. What is not
    answered when the backfill ends (a request that came late, or never: a month already final) is left to
    :func:`approve_year`. (The history's ids follow the order in which the approval runs record, which was not
    the months' order before either.)"""

    def __init__(self, stack: stack_mod.Stack, months: list[str]):
        self.stack, self.pending, self.answered = stack, list(months), {}

    def __call__(self, runs: list[dict]) -> None:
        from bansos.orchestration.answers import ANSWER_TASK_ID, APPROVE_ALL

        ended = sum(r["state"] == "success" and r["run_type"] == "backfill" for r in runs)
        if not self.pending or ended <= len(self.answered):
            return  # no month ended that is not answered yet: no request to look for (each look costs the api-server)
        waiting = self.stack.api().hitl_waiting(APPROVAL_DAG_ID, key=periode_of)
        run_ids = {p: d["task_instance"]["dag_run_id"] for p, d in waiting.items()}
        for periode in answerable(self.pending, run_ids, lambda r: pause_seen(self.stack, r, ANSWER_TASK_ID)):
            answer(self.stack, run_ids[periode], APPROVE_ALL, reason=APPROVER_REASON)
            self.answered[periode] = run_ids[periode]
            self.pending.remove(periode)


def answerable(pending: list[str], waiting: dict[str, str], seen) -> list[str]:
    """The months of ``pending`` to answer now: those whose requests wait (``waiting``: month -> approval run id)
    and whose pause the scheduler has seen (``seen(run id)``), in the order of ``pending``."""
    return [periode for periode in pending if periode in waiting and seen(waiting[periode])]


def approve_year(stack: stack_mod.Stack, early: ApproveAsTheyCome | None = None, timeout: float = 300
                 ) -> list[dict]:
    """After the backfill: approve the months not final that were not answered during it, and wait for every
    approval run; returns them in month order."""
    answered = dict(early.answered) if early else {}
    rest = [m for m in unapproved_months(stack) if m not in answered]
    runs = dict(zip(rest, approve_months(stack, rest, timeout), strict=True))
    api = stack.api()
    runs |= {p: api.wait_run(APPROVAL_DAG_ID, run_id, timeout=timeout) for p, run_id in answered.items()}
    return [runs[p] for p in sorted(runs)]


def approval_history(stack: stack_mod.Stack, months: list[str]) -> list[str]:
    """The approval history rows of ``months`` (core.approval), one line each."""
    from bansos import approve

    lines = [f"{'approval_id':>11}  {'periode':<13}  {'decision':<18}  {'by':<12}  {'via':<4}  {'batches':>7}  "
             f"{'held':<8}  at (UTC)"]
    for periode in months:
        for row in approve.history(stack.warehouse_url, PROVINCE, periode):
            held = ",".join(row["held"] or []) or "-"
            where = f"{periode} {row['kode_kabkota']}" if row["kode_kabkota"] else periode
            lines.append(f"{row['approval_id']:>11}  {where:<13}  {row['decision']:<18}  {row['decided_by']:<12}  "
                         f"{row['source']:<4}  {len(row['batch_ids']):>7}  {held:<8}  "
                         f"{row['decided_at']:%Y-%m-%d %H:%M:%S}")
    return lines


def land_valid_correction(data_root: str, periode: str = VALID_PERIODE, kode: str = VALID_KABKOTA,
                          name: str = VALID_FILE) -> int:
    """The kab/kota-month's landed file again with one recipient's name corrected (a letter added), as a new
    file: every figure stays, the bytes differ. The name is never printed."""
    store = open_store(data_root, s3_client_factory=_s3_client)
    folder = landing_folder(PROVINCE, periode, kode)
    (original,) = [o for o in store.list(folder) if not o.name.startswith("koreksi")]
    with store.open(original.key) as fh:
        lines = fh.read().decode("utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\r\n").split(",")
    column = header.index("nama")
    row = next(i for i, line in enumerate(lines[1:], 1) if '"' not in line)  # a line without quoted fields
    fields = lines[row].split(",")
    fields[column] += "H"  # e.g. a name written without its last letter, corrected
    lines[row] = ",".join(fields)
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp, PROVINCE, periode, kode)
        target.mkdir(parents=True)
        (target / name).write_text("".join(lines), encoding="utf-8")
        return land(data_root, Path(tmp))


def run_month(stack: stack_mod.Stack, periode: str, run_id: str, timeout: float = 600) -> dict:
    """Run a month of the monthly DAG once under ``run_id`` (not again when that run exists); returns the run."""
    api = stack.api()
    if run_id not in {r["dag_run_id"] for r in api.dag_runs(DAG_ID)}:
        api.trigger(DAG_ID, conf={"periode": periode}, run_id=run_id)
    return api.wait_run(DAG_ID, run_id, timeout=timeout)


def held_submissions(stack: stack_mod.Stack, periode: str, kode: str) -> list[int]:
    from bansos.warehouse.database import connect

    with connect(stack.warehouse_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT submission_id FROM raw.submission WHERE province = %s AND periode = %s "
                    "AND kode_kabkota = %s AND status = 'held' ORDER BY 1", (PROVINCE, periode, kode))
        return [s for (s,) in cur.fetchall()]


def approve_cli(stack: stack_mod.Stack, *args: str) -> str:
    """``python -m bansos.approve ...`` against the stack's warehouse, as a data engineer types it; its output."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "bansos.approve", *args], env=stack.env, capture_output=True,
                          text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"python -m bansos.approve {args[0]}: exit {done.returncode}: {done.stderr[-500:]}")
    return done.stdout


def valid_correction_cycle(stack: stack_mod.Stack, periode: str = VALID_PERIODE, kode: str = VALID_KABKOTA,
                           run_prefix: str = "koreksi_nama") -> list[str]:
    """A valid correction for an approved month: held (month locked), unlocked with the CLI, merged by the
    month's next run, approved again through REST; returns what happened, line by line."""
    out = []
    landed = land_valid_correction(stack.data_root, periode, kode)
    run = run_month(stack, periode, f"{run_prefix}_{periode.replace('-', '_')}")
    held = held_submissions(stack, periode, kode)
    if not held:
        return [f"valid correction for {kode} {periode}: nothing held ({landed} file landed now; an earlier demo "
                "processed it)"]
    out.append(f"valid correction from {kode} for {periode} (one name corrected, same figures): run "
               f"{run['dag_run_id']} {run['state']}; submission {', '.join(map(str, held))} held: month locked "
               f"(the approved batch stays; alert in {outbox_folder()}/)")
    unlocked = approve_cli(stack, "unlock", "--province", PROVINCE, "--periode", periode, "--kabkota", kode,
                           "--reason", "koreksi nama penerima dari Tanjungpinang", "--who", "kabid.datin")
    out += [f"  $ python -m bansos.approve unlock --province {PROVINCE} --periode {periode} --kabkota {kode} "
            "--reason '...' --who kabid.datin"] + [f"  {line}" for line in unlocked.splitlines()]
    again = run_month(stack, periode, f"{run_prefix}_{periode.replace('-', '_')}_dibuka")
    out.append(f"month {periode} run again ({again['dag_run_id']} {again['state']}): the correction is merged, "
               f"the month provisional until approved again")
    approved = approve_months(stack, [periode])
    out.append(f"{periode} approved again through the REST API: {approved[0]['state']}; held now: "
               f"{held_submissions(stack, periode, kode) or 'none'}")
    return out


def run(reprocess: str = "none") -> None:
    stack = stack_mod.configure()
    log.info("warehouse: %s\ndata root: %s", stack.warehouse_url, stack.data_root)
    log.info("starting Airflow (logs in %s) while the Kepri 2022 extracts land", stack.state_dir / "logs")
    # the extracts are generated while Airflow's components start (mostly waiting on them), and
    # are all landed before the backfill asks for them
    with ThreadPoolExecutor(max_workers=1) as pool:
        landing = pool.submit(land_kepri_2022, stack.data_root)
        stack_mod.up(stack)
        changed = landing.result()
    log.info("landed Kepri 2022 extracts (%s files new or changed)", changed)
    log.info("backfilling %s; each month is approved through the REST API (hitlDetails) once its request waits",
             YEAR)
    early = ApproveAsTheyCome(stack, [f"{YEAR}-{m:02d}" for m in range(1, 13)])
    runs = run_year(stack, reprocess=reprocess, while_waiting=early, active_runs=BACKFILL_ACTIVE_RUNS, poll=2)
    ok = [r for r in runs if r["state"] == "success" and r["run_type"] == "backfill"]
    log.info("approving the months of %s not answered yet (%s answered while the backfill ran)", YEAR,
             len(early.answered))
    approvals = approve_year(stack, early)
    # The two corrections are for different months: December's run and June's cycle go on side by side.
    log.info("landing a faulty correction from Kota Batam for December and running December again; meanwhile")
    log.info("landing a valid correction for approved June from Tanjungpinang: held, unlocked, approved again")
    land_faulty_correction(stack.data_root)
    enable_publishing(stack)
    with ThreadPoolExecutor(max_workers=1) as pool:
        june = pool.submit(valid_correction_cycle, stack)
        correction = run_correction(stack)
        cycle = june.result()
    province = load_province(PROVINCE)
    table = publish.yearly_table(stack.warehouse_url, province, YEAR)
    print()
    print(table.render())
    print()
    print(
        f"Airflow runs of {DAG_ID}: {len(ok)} monthly runs successful (backfill of {YEAR}), "
        f"correction run {correction['state']}"
    )
    print(f"{APPROVAL_DAG_ID}: {sum(r['state'] == 'success' for r in approvals)} of {len(approvals)} months "
          f"approved through the REST API now; months of {YEAR} not final: {unapproved_months(stack) or 'none'}")
    print("\n".join(approval_history(stack, [f"{YEAR}-{m:02d}" for m in range(1, 13)])))
    print()
    print("\n".join(cycle))
    print()
    print("\n".join(rejection_summary(stack)))
    print()
    ends = [r["end_date"] for r in runs if r.get("end_date")]
    started = correction.get("start_date")
    fresh = started and all(_instant(started) >= _instant(end) for end in ends)  # not a re-run of an old demo
    publish_runs = wait_for_publication(stack, after=started if fresh else None)
    published = publication.published(open_store(stack.data_root, s3_client_factory=_s3_client), PROVINCE, YEAR)
    print(
        f"{PUBLISH_DAG_ID}: {sum(r['state'] == 'success' for r in publish_runs)} of {len(publish_runs)} runs "
        "successful (triggered by the monthly runs' Asset events)"
    )
    print(publication.describe(published) if published else "(nothing published yet)")
    print()
    print(f"Airflow UI: {stack.ui_url}  (user admin, password {stack.admin_password})")
    print(f"Files: {stack.data_root}/{{landing,archive,quarantine,publish}}")
    print("Stop everything with: make stop")
