"""The benchmark's steady-state warehouse (``benchmarks/run.py`` ``seed``, issue 14): with recurring households
the twelve earlier months pay the file's JAMSOS households again under the pipeline's own pseudonyms, so the
measured month finds them in the rules across months (eleven earlier months of its year: at the programme's
limit, not over it) and among the known households; with new households (the measure before 2026-12-04)
none of the file's keys is in the warehouse. Both months then go through the DAG's steps and are merged."""

from __future__ import annotations

import csv

import psycopg2
import pytest

from bansos.domain.privacy import pseudonymise
from bansos.orchestration import steps
from bansos.warehouse.database import close_idle
from benchmarks import run as bench
from tests.conftest import _admin, _name, new_database
from tools.synthetic import write_bulk_extract

ROWS = 1_500


def _month(pg_base, tmp_path, monkeypatch, recurring: bool, months: int = 12) -> dict:
    files = tmp_path / "files"
    path = write_bulk_extract(files / "landing", bench.KABKOTA, bench.PERIODE, ROWS)
    template = bench.seed(pg_base, ROWS, ROWS, path, recurring, months)
    close_idle()  # the sessions seeding kept: PostgreSQL copies a database nobody is connected to
    dsn = new_database(pg_base, "bench", template=template)
    _admin(pg_base, f'DROP DATABASE "{template}"')
    with open(path, encoding="utf-8") as fh:
        lines = list(csv.DictReader(fh))
    key = bench.KEY.encode()
    jamsos = [r for r in lines if r["kode_program"] == "JAMSOS"]
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM core.load_batch")
        batches = cur.fetchone()[0]
        cur.execute("SELECT array_agg(periode ORDER BY periode) FROM core.kabkota_month")
        periods = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM core.household")
        households_before = cur.fetchone()[0]
        # the months each of the file's JAMSOS households was paid in, and under which programme
        cur.execute("SELECT d.kk_hash, count(*), array_agg(DISTINCT d.kode_program) FROM core.distribution AS d "
                    "WHERE d.kk_hash = ANY (%s) GROUP BY d.kk_hash",
                    ([pseudonymise(r["no_kk"], key) for r in jamsos],))
        months_paid = {bytes(k): (n, tuple(programmes)) for k, n, programmes in cur.fetchall()}
        cur.execute("SELECT count(*) FROM core.distribution AS d WHERE d.nik_hash = ANY (%s)",
                    ([pseudonymise(r["nik"], key) for r in jamsos],))
        nik_rows = cur.fetchone()[0]
    root = tmp_path / "root"
    target = root / path.relative_to(files)
    target.parent.mkdir(parents=True)
    target.write_bytes(path.read_bytes())
    monkeypatch.setenv("BANSOS_WAREHOUSE_URL", dsn)
    monkeypatch.setenv("BANSOS_DATA_ROOT", root.as_uri())
    monkeypatch.setenv("BANSOS_PSEUDONYM_KEY", bench.KEY)
    monkeypatch.setenv("BANSOS_LANDING_SETTLE_SECONDS", "0")
    ref = steps.validate(steps.stage(steps.extract(bench.PROVINCE, bench.PERIODE, bench.KABKOTA), "b"), "b")
    merged = steps.merge(ref, "b")
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM core.household")
        households_after = cur.fetchone()[0]
    _admin(pg_base, f'DROP DATABASE "{_name(dsn)}" WITH (FORCE)')
    # counts and pseudonyms only: an assertion's report prints this dict, and the file's lines hold NIK and names
    return {"jamsos": len(jamsos), "batches": batches, "periods": periods, "months_paid": months_paid,
            "nik_rows": nik_rows, "validated": ref, "merged": merged,
            "new_households": households_after - households_before}


@pytest.mark.slow  # the benchmark's tooling, not the pipeline: make test runs it, make check leaves it out
def test_recurring_households_meet_their_earlier_months_and_a_new_warehouse_meets_none(
        pg_base, tmp_path, monkeypatch):
    recurring = _month(pg_base, tmp_path / "recurring", monkeypatch, True)
    assert recurring["batches"] == 12
    recur = min(recurring["jamsos"], ROWS * 4 // 5)
    assert len(recurring["months_paid"]) == recur > 0
    # every recurring household in each of the twelve months, as JAMSOS only; persons likewise
    assert set(recurring["months_paid"].values()) == {(12, ("JAMSOS",))}
    assert recurring["nik_rows"] == 12 * recur
    # eleven months of 2022 plus the file's: the programme's limit of twelve, so no rule fires
    assert recurring["validated"]["action"] == "process" and not recurring["validated"].get("warnings")
    assert recurring["merged"]["action"] == "loaded"
    assert recurring["new_households"] == ROWS - recur

    new = _month(pg_base, tmp_path / "new", monkeypatch, False)
    assert new["batches"] == 12 and new["months_paid"] == {} and new["nik_rows"] == 0
    assert new["merged"]["action"] == "loaded"
    assert new["new_households"] == ROWS


@pytest.mark.slow
def test_a_history_of_several_years_is_the_months_before_the_file(pg_base, tmp_path, monkeypatch):
    """``--history-months``: a province's years of history, to measure what the rules across months cost as they
    grow; the file's year holds the same eleven months, so the file is judged as with one year."""
    years = _month(pg_base, tmp_path, monkeypatch, True, months=26)
    assert years["batches"] == 26
    assert years["periods"][0] == "2020-10" and years["periods"][-1] == "2022-11"
    assert len(set(years["periods"])) == 26
    recur = min(years["jamsos"], ROWS * 4 // 5)
    assert set(years["months_paid"].values()) == {(26, ("JAMSOS",))}
    assert years["validated"]["action"] == "process" and not years["validated"].get("warnings")
    assert years["merged"]["action"] == "loaded"
    assert years["new_households"] == ROWS - recur
