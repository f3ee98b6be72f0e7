"""Refresh the provincial office's marts for one province-year, and read them back as small tables.

The marts (``include/sql/migrations/0011_marts.sql``, documented in ``docs/data_dictionary.md``):

* ``mart.distribution_summary``: KK, persons, distributions, Rupiah by kab/kota, programme and month
  (the monthly DAG's summary, ``include/sql/publish/refresh_summary.sql``);
* ``mart.distribution_by_region``: the same and more by province, kab/kota and kecamatan, by year,
  quarter and month, with averages;
* ``mart.submission_completeness`` (+ view ``mart.reporting_rate``): kab/kota x month on time, late,
  rejected, pending, missing or not yet due;
* ``mart.dq_summary``: validation outcomes per kab/kota-month and rule.

Why DELETE + INSERT per province-year in one transaction, not materialized views: a merge changes one
kab/kota-month, so only its year needs recomputing, while ``REFRESH MATERIALIZED VIEW CONCURRENTLY``
always recomputes every province and year and needs a unique index on each view; the completeness
matrix also depends on "now" (a month becomes missing when its deadline passes), which a view
definition cannot take as a parameter. All four marts are refreshed in ONE transaction under the
same advisory lock as the summary (``publish:<province>:<tahun>``), so concurrent monthly runs of a
year serialise, readers see the old marts or the new ones and never a mix, and the reconciliation
compares marts that were computed from the same state of ``core``.

Who refreshes what: each monthly run's ``publish`` task refreshes :data:`MONTHLY` (the summary, the
completeness matrix and the data-quality summary: what the office reads the day a month is merged,
a few hundred milliseconds), and the publish DAG, which every monthly run triggers through its Asset
event, refreshes all four, reconciles them and exports them in one snapshot. The regional breakdown
is the expensive one (18 grouping sets with distinct counts over the whole year) and only the
publication reads it, so it is computed once per publication, not once per monthly run
(``docs/decisions.md``). When both are refreshed, the summary is copied from the breakdown (its levels are
levels of the breakdown, :data:`SUMMARY_FROM_REGION`) instead of counted again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bansos.warehouse import sqlfiles
from bansos.warehouse.database import connect

# (mart, refresh file) in refresh order; every file takes %(province)s, %(tahun)s and %(as_of)s.
REFRESH = (
    ("distribution_summary", "publish/refresh_summary.sql"),
    ("distribution_by_region", "publish/marts/refresh_distribution_by_region.sql"),
    ("submission_completeness", "publish/marts/refresh_submission_completeness.sql"),
    ("dq_summary", "publish/marts/refresh_dq_summary.sql"),
)
# What a monthly run refreshes; the publish DAG refreshes every mart in REFRESH (see the module doc).
MONTHLY = ("distribution_summary", "submission_completeness", "dq_summary")
# Refreshed together, the summary is copied from the regional breakdown, refreshed first: its levels are levels of
# the breakdown, and counting the year's distinct No KK and NIK once instead of twice saves a CPU-second of a
# publication (docs/decisions.md).
SUMMARY_FROM_REGION = "publish/marts/refresh_summary_from_region.sql"

# PostgreSQL type OIDs -> the kind of a column, which decides its format in CSV, XLSX and Parquet.
_KIND_BY_OID = {16: "bool", 20: "int", 21: "int", 23: "int", 700: "number", 701: "number", 1700: "number",
                1082: "date"}


def refresh(
    cur, province: str, tahun: int, as_of: datetime | None = None, only: tuple[str, ...] | None = None
) -> dict[str, int]:
    """Recompute the marts of one province-year on an open cursor (the caller owns the transaction).

    ``only`` names the marts to refresh (default: all of them), always in :data:`REFRESH` order.
    """
    unknown = set(only or ()) - {mart for mart, _ in REFRESH}
    if unknown:
        raise ValueError(f"no such mart: {', '.join(sorted(unknown))}")
    params = {"province": province, "tahun": int(tahun), "as_of": as_of}
    steps = [(mart, path) for mart, path in REFRESH if only is None or mart in only]
    if {"distribution_summary", "distribution_by_region"} <= {mart for mart, _ in steps}:
        # the summary last, copied from the breakdown (the other marts read neither)
        steps = [step for step in steps if step[0] != "distribution_summary"]
        steps.append(("distribution_summary", SUMMARY_FROM_REGION))
    # the year's lock first, before the fact table's: a monthly refresh and a publication at once lock in one order
    cur.execute(sqlfiles.read("publish/lock_year.sql"), params)
    if {"distribution_summary", "distribution_by_region"} & {mart for mart, _ in steps}:
        cur.execute(sqlfiles.read("publish/analyze_facts.sql"))  # the partitioned fact table's own statistics
    written = {}
    for mart, path in steps:
        sqlfiles.run_script(cur, sqlfiles.read(path), params)
        written[mart] = cur.rowcount
    return {mart: written[mart] for mart, _ in REFRESH if mart in written}  # in REFRESH order, as manifests list them


def refresh_all(dsn: str, province: str, tahun: int, as_of: datetime | None = None) -> dict[str, int]:
    """Recompute every mart of one province-year in one transaction; returns rows written per mart.

    ``as_of`` is the moment the completeness matrix describes (default: now); months whose deadline
    is after it are "not due" rather than "missing".
    """
    with connect(dsn) as conn, conn.cursor() as cur:
        return refresh(cur, province, tahun, as_of)


@dataclass(frozen=True)
class Table:
    """A query result small enough to hold in memory: column names, their kinds and the rows.

    Kinds: ``text``, ``int``, ``rupiah`` (whole Rupiah), ``number``, ``date``, ``bool``.
    """

    name: str
    columns: tuple[str, ...]
    kinds: tuple[str, ...]
    rows: list[tuple]

    def index(self, column: str) -> int:
        return self.columns.index(column)

    def records(self) -> list[dict]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def replace_rows(self, rows: list[tuple]) -> Table:
        return Table(self.name, self.columns, self.kinds, rows)


def column_kind(name: str, type_oid: int) -> str:
    kind = _KIND_BY_OID.get(type_oid, "text")
    if kind in ("int", "number") and "rupiah" in name:
        return "rupiah"
    return kind


def fetch(cur, sql_file: str, province: str, tahun: int, name: str) -> Table:
    """Run the query ``include/sql/<sql_file>`` for one province-year on an open cursor; the table is ``name``."""
    cur.execute(sqlfiles.read(sql_file), {"province": province, "tahun": int(tahun)})
    columns = tuple(d.name for d in cur.description)
    kinds = tuple(column_kind(d.name, d.type_code) for d in cur.description)
    return Table(name, columns, kinds, cur.fetchall())


def read(dsn: str, sql_file: str, province: str, tahun: int, name: str) -> Table:
    """:func:`fetch` on a connection of its own."""
    with connect(dsn) as conn, conn.cursor() as cur:
        return fetch(cur, sql_file, province, tahun, name)
