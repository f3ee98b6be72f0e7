"""The references from distributions, households and persons to their load batch (migration 0040): checked once
per statement instead of by a per-row foreign key, with the same outcome: a row of a batch that does not exist is
refused, and a batch that rows reference cannot be deleted."""

from __future__ import annotations

from contextlib import closing

import psycopg2
import pytest
from psycopg2 import errors

DISTRIBUTION = ("INSERT INTO core.distribution (batch_id, source_line, province, periode, kode_kabkota, "
                "kode_kecamatan, kode_desa, kk_hash, nik_hash, kode_program, nominal, tanggal_salur, saluran) "
                "SELECT %s, g, '21', '2022-01', '21.71', '21.71.01', '21.71.01.1001', sha256(g::text::bytea), "
                "sha256(('n' || g)::bytea), 'JAMSOS', 300000, DATE '2022-01-15', 'POS' "
                "FROM generate_series(1, %s) AS g")


@pytest.fixture
def db(warehouse):
    conn = psycopg2.connect(warehouse)
    conn.autocommit = True
    with closing(conn), conn.cursor() as cur:
        cur.execute("INSERT INTO raw.submission (province, periode, kode_kabkota, source_uri, landed_at, size_bytes, "
                    "sha256, archive_key) VALUES ('21', '2022-01', '21.71', 'file:///x.csv', now(), 1, "
                    "repeat('a', 64), 'archive/x.csv') RETURNING submission_id")
        submission = cur.fetchone()[0]
        cur.execute("INSERT INTO core.load_batch (submission_id, province, periode, kode_kabkota, row_count) "
                    "VALUES (%s, '21', '2022-01', '21.71', 3) RETURNING batch_id", (submission,))
        batch = cur.fetchone()[0]
        cur.execute("SELECT core.ensure_distribution_partition('2022-01')")  # as merge does (migration 0043)
        yield cur, batch


def count(cur, table: str) -> int:
    cur.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - the test's own table names
    return cur.fetchone()[0]


def test_rows_of_an_existing_batch_go_in(db):
    cur, batch = db
    cur.execute(DISTRIBUTION, (batch, 3))
    cur.execute("INSERT INTO core.household (kk_hash, province, first_batch_id) VALUES ('\\x01', '21', %s)", (batch,))
    cur.execute("INSERT INTO core.person (nik_hash, first_batch_id) VALUES ('\\x02', %s)", (batch,))
    assert (count(cur, "core.distribution"), count(cur, "core.household"), count(cur, "core.person")) == (3, 1, 1)


@pytest.mark.parametrize("statement", [
    DISTRIBUTION,
    "INSERT INTO core.household (kk_hash, province, first_batch_id) SELECT sha256(g::text::bytea), '21', "
    "%s + (g = 2)::int FROM generate_series(1, %s) AS g",
    "INSERT INTO core.person (nik_hash, first_batch_id) SELECT sha256(g::text::bytea), %s + (g = 2)::int "
    "FROM generate_series(1, %s) AS g",
], ids=["distribution", "household", "person"])
def test_a_statement_with_one_row_of_a_missing_batch_is_refused_whole(db, statement):
    cur, batch = db
    missing = batch + 1  # the distribution's rows all name it; one household or person row of three names it
    with pytest.raises(errors.ForeignKeyViolation, match="core.load_batch") as refused:
        cur.execute(statement, (missing if statement is DISTRIBUTION else batch, 3))
    assert f"batch {missing} is not present" in refused.value.diag.message_detail
    table = statement.split()[2]
    assert count(cur, table) == 0


def test_moving_rows_to_a_missing_batch_is_refused(db):
    cur, batch = db
    cur.execute(DISTRIBUTION, (batch, 2))
    with pytest.raises(errors.ForeignKeyViolation):
        cur.execute("UPDATE core.distribution SET batch_id = batch_id + 1000 WHERE source_line = 1")
    cur.execute("UPDATE core.distribution SET nominal = nominal + 1")  # an update within the batch is fine
    cur.execute("SELECT DISTINCT batch_id FROM core.distribution")
    assert cur.fetchall() == [(batch,)]


@pytest.mark.parametrize("table", ["distribution", "household", "person"])
def test_a_batch_that_rows_reference_cannot_be_deleted(db, table):
    cur, batch = db
    if table == "distribution":
        cur.execute(DISTRIBUTION, (batch, 1))
    elif table == "household":
        cur.execute("INSERT INTO core.household (kk_hash, province, first_batch_id) VALUES ('\\x01', '21', %s)",
                    (batch,))
    else:
        cur.execute("INSERT INTO core.person (nik_hash, first_batch_id) VALUES ('\\x02', %s)", (batch,))
    with pytest.raises(errors.ForeignKeyViolation, match="still referenced"):
        cur.execute("DELETE FROM core.load_batch WHERE batch_id = %s", (batch,))
    assert count(cur, "core.load_batch") == 1


def test_a_batch_nothing_references_can_be_deleted(db):
    cur, batch = db
    cur.execute("DELETE FROM core.load_batch WHERE batch_id = %s", (batch,))
    assert count(cur, "core.load_batch") == 0
