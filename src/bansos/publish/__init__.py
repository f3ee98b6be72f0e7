"""publish: refresh the summary marts, export CSV / XLSX / Parquet and the HTML report with its
reconciliation, record the publication's lineage; the end-of-run report of a month."""

from bansos.publish.publication import publish_year, published
from bansos.publish.yearly import YearlyTable, refresh_summary, yearly_table

__all__ = ["YearlyTable", "publish_year", "published", "refresh_summary", "yearly_table"]
