"""A month's rows in core.distribution are identified by (batch_id, source_line) without a primary key
(migration 0042): unique because merge writes each batch once, from its staged table, whose source_line is
the raw table's identity plus one. These tests check that construction for a file and for its correction,
and that the batch index, which replaced the primary key, is what finds a batch's rows."""

from __future__ import annotations

import json
import re

import pytest

from bansos.orchestration import steps
from tests.conftest import pipeline_env
from tests.pipeline import land, load_without_suite, query

PERIODE, KODE = "2022-04", "21.05"


@pytest.fixture(scope="module")
def corrected(pg_base, tmp_path_factory, kepri2022):
    """Anambas' April loaded, then a correction of it without its last line (so two batches of the month)."""
    with pipeline_env(pg_base, tmp_path_factory, "batch_rows") as env:
        steps.prepare_warehouse("21")
        original = land(env.root, kepri2022, PERIODE, KODE)
        assert load_without_suite(PERIODE, KODE)["action"] == "loaded"
        lines = original.read_bytes().splitlines(keepends=True)
        land(env.root, kepri2022, PERIODE, KODE, name="koreksi.csv", content=b"".join(lines[:-1]))
        assert load_without_suite(PERIODE, KODE, run_id="correction")["action"] == "loaded"
        yield env.dsn, len(lines) - 1


def test_each_batch_holds_every_line_of_its_file_once(corrected):
    dsn, data_lines = corrected
    batches = query(dsn, "SELECT b.batch_id, b.row_count, count(d.*), count(DISTINCT d.source_line), "
                         "min(d.source_line), max(d.source_line) FROM core.load_batch AS b "
                         "JOIN core.distribution AS d USING (batch_id) GROUP BY 1, 2 ORDER BY 1")
    # the file, then its correction: every data line once (line 1 is the header), the correction one fewer
    assert [rows for _, rows, *_ in batches] == [data_lines, data_lines - 1]
    for _, rows, count, distinct, first, last in batches:
        assert (count, distinct, first, last) == (rows, rows, 2, rows + 1)
    # the replaced batch keeps its rows (history); only the correction is current
    assert query(dsn, "SELECT count(*) FROM core.distribution_current") == [(data_lines - 1,)]


def test_a_batchs_rows_are_found_by_the_batch_index(corrected):
    dsn, _ = corrected
    assert query(dsn, "SELECT conname FROM pg_constraint WHERE conrelid = 'core.distribution'::regclass "
                      "AND contype = 'p'") == []
    [(plan,)] = query(dsn, "SET enable_seqscan = off; EXPLAIN (FORMAT JSON) "
                           "SELECT * FROM core.distribution WHERE batch_id = 1")
    # each month's partition has its own copy of the index (migration 0043)
    month_indexes = {name for (name,) in query(
        dsn, "SELECT inhrelid::regclass::text FROM pg_inherits "
             "WHERE inhparent = 'core.distribution_batch_idx'::regclass")}
    used = set(re.findall(r'"Index Name": "([^"]+)"', json.dumps(plan)))
    assert used and {f"core.{name}" for name in used} <= month_indexes


def test_a_batchs_rows_are_stored_in_the_household_index_order(corrected):
    """Merge writes a batch's rows by (programme, household), the household index's order (migration 0044), so
    that index takes each programme's entries where the last ones ended: in an empty month's partition and after
    it, each batch's rows follow one another in that order on disk (merge/insert_batch.sql)."""
    dsn, _ = corrected
    found = query(dsn, """
        SELECT batch_id, count(*) FILTER (WHERE (kode_program, kk_hash) < (before_program, before_kk)),
               count(DISTINCT kode_program)
        FROM (SELECT batch_id, kode_program, kk_hash,
                     lag(kode_program) OVER stored AS before_program, lag(kk_hash) OVER stored AS before_kk
              FROM core.distribution WHERE periode = %s
              WINDOW stored AS (PARTITION BY batch_id ORDER BY ctid)) AS rows
        GROUP BY batch_id ORDER BY batch_id""", (PERIODE,))
    assert len(found) == 2
    for _, out_of_order, programmes in found:
        assert programmes > 1, "a file of several programmes, so the order across them is checked too"
        assert out_of_order == 0
