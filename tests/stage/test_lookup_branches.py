"""Stage's rules across months look up each programme of the file that the catalogue knows on its own
(``bansos.stage.stage.lookup_branches``, ``include/sql/stage/file_programmes.sql``, ``lookup_year.sql``,
``lookup_lifetime.sql``): a household and a NIK lookup per programme, the programme as a constant, read in the
file's year or, for a programme limited over a lifetime, in every month; each returns only the keys the file's
month takes over the programme's limits, and a programme counted in persons has no household lookup. A programme
the catalogue does not know has no limit to break and is not looked up; a file of such programmes only is
staged, and its rows fail ``programme_known``."""

from __future__ import annotations

import csv
import io

from psycopg2 import sql

from bansos.orchestration import steps
from bansos.stage.stage import lookup_branches, lookup_constants
from bansos.warehouse import sqlfiles
from bansos.warehouse.database import connect
from tests.conftest import pipeline_env
from tests.pipeline import land, load_without_suite, query, source_file

FEBRUARY, MARCH, ANAMBAS, BINTAN = "2022-02", "2022-03", "21.05", "21.01"


def _branches(env, province: str, programmes: list[str | None]) -> list[tuple[str, str, str]]:
    """The lookups' branches for a file of these programmes: (programme, kind, branch text) each."""
    with connect(env.dsn) as conn, conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE lookup_branches_ids (kode_program text)")
        cur.executemany("INSERT INTO lookup_branches_ids VALUES (%s)", [(p,) for p in programmes])
        text = lookup_branches(cur, sql.Identifier("lookup_branches_ids"), province).as_string(cur)
        conn.rollback()
    out = []
    for branch in (b for b in text.split("\nUNION ALL\n") if b.strip()):
        [programme] = {p for p in programmes if p and f"'{p}'::text" in branch}
        out.append((programme, branch.split("AS kind")[0].rsplit("SELECT", 1)[1].strip(), branch))
    return sorted(out)


def test_each_programme_the_catalogue_knows_is_looked_up_alone(pg_base, tmp_path_factory):
    with pipeline_env(pg_base, tmp_path_factory, "lookup_branches") as env:
        steps.prepare_warehouse("21")
        branches = _branches(env, "21", ["JAMSOS", "UEP", "PKH-X", None, "JAMSOS"])
    # a household and a NIK lookup for JAMSOS and for UEP, none for PKH-X, which the catalogue does not know
    assert [(p, kind) for p, kind, _ in branches] == [
        ("JAMSOS", "'kk'"), ("JAMSOS", "'nik'"), ("UEP", "'kk'"), ("UEP", "'nik'")]
    for programme, _, branch in branches:
        # UEP is limited over a lifetime (Kepri's catalogue): read in every month; JAMSOS in the file's year
        assert ("%(all_batches)s" in branch) == (programme == "UEP"), branch


def test_a_programme_counted_in_persons_has_no_household_lookup(pg_base, tmp_path_factory):
    with pipeline_env(pg_base, tmp_path_factory, "lookup_branches_persons") as env:
        steps.prepare_warehouse("64")
        branches = _branches(env, "64", ["BLT-P3KE", "ASPD"])
    # BLT-P3KE pays persons (Kaltim's catalogue): its limits hold per NIK only
    assert [(p, kind) for p, kind, _ in branches] == [("ASPD", "'kk'"), ("ASPD", "'nik'"), ("BLT-P3KE", "'nik'")]


def test_the_lookups_return_only_the_keys_the_month_takes_over_a_limit(pg_base, tmp_path_factory, kepri2022):
    """February's Bintan keys looked up again as if they were March's: paid once before, every BSKK and UEP key
    (one a year; UEP one a lifetime) is over its limit, no JAMSOS key is (twelve a year)."""
    with pipeline_env(pg_base, tmp_path_factory, "lookup_branches_over") as env:
        steps.prepare_warehouse("21")
        land(env.root, kepri2022, FEBRUARY, BINTAN)
        assert load_without_suite(FEBRUARY, BINTAN)["action"] == "loaded"
        february = dict(query(env.dsn, "SELECT d.kode_program || '/' || k.kind, count(DISTINCT CASE k.kind "
                                       "WHEN 'kk' THEN d.kk_hash ELSE d.nik_hash END) "
                                       "FROM core.distribution AS d CROSS JOIN (VALUES ('kk'), ('nik')) AS k (kind) "
                                       "WHERE d.periode = %s GROUP BY 1", (FEBRUARY,)))
        assert {"BSKK/kk", "JAMSOS/kk", "UEP/nik"} <= february.keys()
        with connect(env.dsn) as conn, conn.cursor() as cur:
            cur.execute("CREATE TEMP TABLE lookup_over_ids AS SELECT kk_hash, nik_hash, kode_program "
                        "FROM core.distribution WHERE periode = %s", (FEBRUARY,))
            where = {"province": "21", "periode": MARCH, "kode_kabkota": BINTAN}
            lookups = lookup_branches(cur, sql.Identifier("lookup_over_ids"), "21")
            cur.execute(sql.SQL("SELECT kode_program || '/' || kind, count(*) FROM ({} SELECT NULL, NULL, NULL, "
                                "NULL, NULL WHERE false) AS seen (kind, key_hash, kode_program, in_year, in_lifetime) "
                                "GROUP BY 1").format(lookups), lookup_constants(cur, where))
            over = dict(cur.fetchall())
            conn.rollback()
        expected = {k: n for k, n in february.items() if k.split("/")[0] in {"BSKK", "UEP", "KUBE"}}
        assert over == expected


def _unknown_programmes(data: bytes) -> bytes:
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows({**row, "kode_program": "PKH-X"} for row in rows)
    return out.getvalue().encode("utf-8")


def test_a_file_of_programmes_the_catalogue_does_not_know_is_staged_and_rejected(
        pg_base, tmp_path_factory, kepri2022):
    with pipeline_env(pg_base, tmp_path_factory, "lookup_branches_unknown") as env:
        steps.prepare_warehouse("21")
        land(env.root, kepri2022, FEBRUARY, ANAMBAS)  # a month the rules across months compare with
        assert load_without_suite(FEBRUARY, ANAMBAS)["action"] == "loaded"
        data = _unknown_programmes(source_file(kepri2022, MARCH, ANAMBAS).read_bytes())
        land(env.root, kepri2022, MARCH, ANAMBAS, content=data)
        found = steps.extract("21", MARCH, ANAMBAS)
        staged = steps.stage(found, "unknown")
        assert staged["action"] == "process"  # no lookup at all: the statement is the file's repeated keys only
        checked = sqlfiles.staging_table(found["submission_id"], "checked", "unknown")
        with connect(env.dsn) as conn, conn.cursor() as cur:
            cur.execute(sql.SQL("SELECT count(*), count(*) FILTER (WHERE programme_known), "
                                "count(household_per_year_severity), count(nik_lifetime_severity) FROM {}")
                        .format(checked))
            rows, known, per_year, lifetime = cur.fetchone()
        assert rows == data.count(b"\n") - 1 and known == per_year == lifetime == 0
        assert steps.validate(staged, "unknown")["action"] == "rejected"
        assert query(env.dsn, "SELECT count(*) FROM core.kabkota_month WHERE periode = %s", (MARCH,)) == [(0,)]
