"""
### Publishing the provincial marts (one DAG per province, built by its own `dags/provinsi_*.py`)

Scheduled on the Asset **`bansos_marts_<province>`** (`bansos://warehouse/mart/<province>`), which every
successful monthly run emits with the extra `{"province": ..., "tahun": ..., "periode": ...}`. For each
province-year named by the triggering events (or by the `tahun` param of a manual run), **publish**
refreshes the marts, reconciles them and reads them in one consistent snapshot of the warehouse, then
writes to `publish/<province>/<tahun>/` of the data root (local folder or S3):
CSV, Parquet and an XLSX workbook of the distributions (kecamatan cells under 5 households suppressed),
the completeness and timeliness matrix, reporting rates and the data-quality summary; `rekonsiliasi.csv`;
a self-contained HTML report `laporan.html` with charts; and `manifest.json`, written last.
**check_reconciliation** fails the run, without retrying, when any published figure differs between
the accepted files, core and the marts; the report says which.

Manual run: trigger with `{"tahun": 2022}`.
Files hold aggregates only: no NIK, No KK, name, birth date or hash.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Param, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

from bansos.domain import dags
from bansos.domain.config import load_province
from bansos.orchestration import assets
from bansos.publish import publication


def build(province_code: str):
    """The province's DAG factory, called through `bansos_province.build` by the province's own DAG file (the
    DagBag records that file as the DAG's file, which workers parse again to run a task)."""
    province = load_province(province_code)

    @dag(
        dag_id=dags.publish(province.kode),
        description=f"Exports and report of the marts of {province.nama}, after every monthly run",
        schedule=[assets.mart_asset(province.kode)],
        start_date=pendulum.datetime(2022, 1, 1, tz=province.timezone),
        catchup=False,
        max_active_runs=1,
        default_args={"owner": "dinsos-data", "retries": 2, "retry_delay": timedelta(minutes=1)},
        params={
            "tahun": Param(
                None,
                type=["null", "integer"],
                minimum=2000,
                maximum=2100,
                description="Year to publish; empty = the years of the triggering events",
            )
        },
        tags=["bansos", f"provinsi-{province.kode}", "publish"],
        doc_md=__doc__,
    )
    def publisher():
        @task(multiple_outputs=False)
        def resolve_targets(params=None, triggering_asset_events=None) -> list[dict]:
            tahun = (params or {}).get("tahun")
            found = assets.targets(province.kode, assets.extras_of(triggering_asset_events), tahun)
            if not found:
                raise AirflowFailException("nothing to publish: no asset event names a year; set 'tahun'")
            return found

        @task(multiple_outputs=False, map_index_template="{{ tahun }}")
        def publish(target: dict) -> dict:
            get_current_context()["tahun"] = str(target["tahun"])
            return publication.publish(target["province"], target["tahun"])

        @task(multiple_outputs=False, map_index_template="{{ tahun }}")
        def check_reconciliation(result: dict) -> dict:
            get_current_context()["tahun"] = str(result["tahun"])
            rec = result["reconciliation"]
            if not rec["ok"]:
                raise AirflowFailException(
                    f"{rec['differences']} of {rec['figures']} published figures differ between the accepted "
                    f"files, core and the marts; see rekonsiliasi.csv and {result['report']}"
                )
            return rec

        check_reconciliation.expand(result=publish.expand(target=resolve_targets()))

    return publisher

