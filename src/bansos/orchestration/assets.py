"""The Airflow Asset that links the monthly pipeline to publishing, and what its events carry.

Every successful monthly run of a province updates its marts and emits an event on
``mart_asset(<province>)`` with the extra ``{"province": "21", "tahun": 2022, "periode": "2022-03"}``;
the publish DAG of that province is scheduled on the Asset and exports each province-year named by
the events that triggered it (several months finishing together are one publish run, and a
backfill spanning two years publishes both).

The URI uses the project's own scheme, ``bansos://warehouse/mart/<province>``: the marts are tables
in whichever PostgreSQL the deployment configures, so a ``postgres://host:port/...`` URI would name
one server and be wrong on the next. Airflow is imported inside :func:`mart_asset` only, so this
module (and the package) import without Airflow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

ASSET_GROUP = "bansos"


def mart_asset_name(province_kode: str) -> str:
    return f"bansos_marts_{province_kode}"


def mart_asset_uri(province_kode: str) -> str:
    return f"bansos://warehouse/mart/{province_kode}"


def mart_asset(province_kode: str):
    """The Asset ``bansos_marts_<kode>`` (``bansos://warehouse/mart/<kode>``): the marts of one province."""
    from airflow.sdk import Asset

    return Asset(name=mart_asset_name(province_kode), uri=mart_asset_uri(province_kode), group=ASSET_GROUP)


def event_extra(province: str, periode: str) -> dict:
    """What the monthly DAG's publish task puts on its event: which province-year (and month) changed."""
    return {"province": province, "tahun": int(periode[:4]), "periode": periode}


def targets(province: str, extras: Iterable[Mapping | None], tahun: int | None = None) -> list[dict]:
    """The province-years to publish: the ``tahun`` param of a manual run, else every year named by the
    triggering events' extras (events of another province are ignored), oldest first."""
    if tahun is not None:
        return [{"province": province, "tahun": int(tahun)}]
    years = set()
    for extra in extras:
        if not extra or str(extra.get("province", province)) != province:
            continue
        if extra.get("tahun") is not None:
            years.add(int(extra["tahun"]))
        elif extra.get("periode"):
            years.add(int(str(extra["periode"])[:4]))
    return [{"province": province, "tahun": y} for y in sorted(years)]


def extras_of(triggering_asset_events) -> list[Mapping]:
    """The extras of all events in Airflow's ``triggering_asset_events`` (a mapping asset -> events)."""
    if not triggering_asset_events:
        return []
    return [event.extra for events in triggering_asset_events.values() for event in events]
