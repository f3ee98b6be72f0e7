"""Merge adds exactly the households and persons the warehouse does not hold yet, each with the first batch it
came in: it finds the file's new keys in a work table first (an anti-join of the staged rows against the known
keys, merge/insert_batch.sql), so a month that pays earlier months' households again must add only its new ones
and leave the known ones' first batch as it was."""

from __future__ import annotations

import hashlib

import psycopg2
import pytest

from bansos.orchestration import steps
from tests.conftest import pipeline_env
from tests.merge.march import first_batches, first_carried
from tests.pipeline import load_months, query

KODE = "21.05"


@pytest.fixture(scope="module")
def two_months(pg_base, tmp_path_factory, kepri2022):
    """Anambas' February, then its March (most of its households paid again, some new)."""
    with pipeline_env(pg_base, tmp_path_factory, "new_keys") as env:
        steps.prepare_warehouse("21")
        load_months(env.root, kepri2022, KODE, ("2022-02", "2022-03"))
        yield env.dsn


@pytest.mark.parametrize(("table", "key"), [("household", "kk_hash"), ("person", "nik_hash")])
def test_the_second_month_adds_its_new_keys_and_only_those(two_months, table, key):
    dsn = two_months
    expected = first_carried(dsn, key)
    # March paid keys of February again and brought new ones
    [(february, march)] = query(dsn, "SELECT min(batch_id), max(batch_id) FROM core.load_batch")
    [(again,)] = query(dsn, f"SELECT count(DISTINCT m.{key}) FROM core.distribution AS m "
                            f"JOIN core.distribution AS f ON f.{key} = m.{key} AND f.batch_id = %s "
                            "WHERE m.batch_id = %s", (february, march))
    assert again > 0 and march in expected.values()
    assert first_batches(dsn, table, key) == expected


def test_each_new_key_once_in_key_order_a_person_with_its_first_lines_attributes(warehouse):
    """merge/new_keys.sql, alone on a checked table of five lines: a household and a person twice (the person's
    attributes differ, its later line first in the table), one household and one person already known. The work
    tables hold each new key once, in key order (merge/insert_keys.sql inserts them as written), the person with
    the attributes of its first line; and the file's rows and rupiah per programme, every line counted, known
    keys or not (merge/source_totals.sql writes them as the batch's source totals)."""
    from psycopg2 import sql

    from bansos.warehouse import sqlfiles

    def h(text: str) -> bytes:
        return hashlib.sha256(text.encode()).digest()

    lines = [(5, "kk-b", "nik-a", "P", "1990-01-01", "PKH", 750_000),
             (2, "kk-b", "nik-a", "L", "1985-06-30", "BPNT", 200_000),
             (3, "kk-a", "nik-c", "L", "1970-02-02", "PKH", 500_000),
             (4, "kk-known", "nik-known", "P", "1960-03-03", "PKH", 250_000),
             (1, "kk-c", "nik-b", "P", "2001-12-31", "BPNT", 200_000)]
    checked = sql.Identifier("staging", "t_checked")
    work = {kind: sql.Identifier("staging", f"t_{kind}") for kind in sqlfiles.MERGE_WORK_TABLES}
    with psycopg2.connect(warehouse) as conn, conn.cursor() as cur:
        cur.execute(sql.SQL("CREATE TABLE {} (source_line bigint, kk_hash bytea, nik_hash bytea, jenis_kelamin text, "
                            "tanggal_lahir text, kode_program text, nominal_rp bigint)").format(checked))
        cur.executemany(sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s, %s, %s, %s)").format(checked),
                        [(n, h(kk), h(nik), *rest) for n, kk, nik, *rest in lines])
        cur.execute("INSERT INTO raw.submission (province, periode, kode_kabkota, source_uri, landed_at, size_bytes, "
                    "sha256, archive_key, status, row_count, decided_at) VALUES ('21', '2022-01', '21.71', 'test://', "
                    "now(), 0, repeat('0', 64), 'test', 'accepted', 0, now()) RETURNING submission_id")
        cur.execute("INSERT INTO core.load_batch (submission_id, province, periode, kode_kabkota, row_count) "
                    "VALUES (%s, '21', '2022-01', '21.71', 0) RETURNING batch_id", cur.fetchone())
        (batch,) = cur.fetchone()
        cur.execute("INSERT INTO core.household VALUES (%s, '21', %s)", (h("kk-known"), batch))
        cur.execute("INSERT INTO core.person VALUES (%s, 'P', 1960, %s)", (h("nik-known"), batch))
        sqlfiles.run_script(cur, sqlfiles.compose("merge/new_keys.sql", checked=checked, **work).as_string(cur))
        cur.execute(sql.SQL("SELECT kk_hash FROM {}").format(work["new_households"]))
        households = [bytes(k) for (k,) in cur.fetchall()]
        cur.execute(sql.SQL("SELECT nik_hash, jenis_kelamin, tahun_lahir FROM {}").format(work["new_persons"]))
        persons = [(bytes(k), sex, year) for k, sex, year in cur.fetchall()]
        cur.execute(sql.SQL("SELECT kode_program, source_rows, source_rupiah FROM {} ORDER BY 1")
                    .format(work["source_totals"]))
        totals = cur.fetchall()
        conn.rollback()
    assert households == sorted(h(k) for k in ("kk-a", "kk-b", "kk-c"))
    assert persons == sorted([(h("nik-a"), "L", 1985), (h("nik-b"), "P", 2001), (h("nik-c"), "L", 1970)])
    assert totals == [("BPNT", 2, 400_000), ("PKH", 3, 1_500_000)]
