"""Loads the Kemendagri region codes and the province configuration into the ``ref`` schema.

Validation rules join staged rows to these tables (is this kecamatan inside the submitting
kab/kota? is this NIK prefix a code that exists or existed?), so they must match the files in
``include/reference/`` and ``include/config/``. The CSVs are COPYed only when their checksum changes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging

from bansos.domain.config import Province
from bansos.domain.resources import REFERENCE_DIR
from bansos.warehouse import sqlfiles
from bansos.warehouse.database import connect

log = logging.getLogger(__name__)

DATASETS = {
    "wilayah.csv": "warehouse/reference/load_region.sql",
    "wilayah_history.csv": "warehouse/reference/load_region_history.sql",
}


def _sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sync(dsn: str, province: Province) -> list[str]:
    """Bring ``ref`` up to date; returns the reference files that were (re)loaded."""
    loaded = []
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sqlfiles.read("warehouse/reference/lock.sql"))
        cur.execute(sqlfiles.read("warehouse/reference/loaded_datasets.sql"))
        known = dict(cur.fetchall())
        for name, sql_file in DATASETS.items():
            path = REFERENCE_DIR / name
            checksum = _sha256(path)
            if known.get(name) == checksum:
                continue
            log.info("loading reference %s", name)
            with open(path, encoding="utf-8") as fh:
                sqlfiles.run_script(cur, sqlfiles.read(sql_file), stream=fh)
            cur.execute(sqlfiles.read("warehouse/reference/record_dataset.sql"), (name, checksum))
            loaded.append(name)
        cur.execute(
            sqlfiles.read("warehouse/reference/upsert_province.sql"),
            {
                "kode": province.kode,
                "nama": province.nama,
                "timezone": province.timezone,
                "deadline_day": province.deadline_day,
                "kabkota": json.dumps([dataclasses.asdict(k) for k in province.kabkota]),
                "programmes": json.dumps([dataclasses.asdict(p) for p in province.programmes]),
            },
        )
        if loaded:  # what derives from them, then statistics: the next stage's region joins are planned on them
            cur.execute(sqlfiles.read("warehouse/reference/refresh.sql"))
            cur.execute(sqlfiles.read("warehouse/reference/analyse.sql"))
    return loaded
