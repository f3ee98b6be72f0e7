"""Reference data in the warehouse: the region lists and what derives from them, reloaded when a file changes.

Stage asks of every NIK and No KK whether its first six digits name a kecamatan of today or of the history;
it reads that list from ``ref.kecamatan_digits`` (migration 0041), which must follow every reload of either
CSV in the reload's own transaction.
"""

from __future__ import annotations

import csv
import shutil

from bansos.domain.config import load_province
from bansos.domain.resources import REFERENCE_DIR
from bansos.warehouse import database, reference
from tests.conftest import new_database
from tests.pipeline import query


def _kecamatan_digits(path) -> set[str]:
    with open(path, encoding="utf-8", newline="") as fh:
        return {row["kode"].replace(".", "") for row in csv.DictReader(fh) if row["tingkat"] == "kecamatan"}


def _listed(dsn: str) -> set[str]:
    return {digits for (digits,) in query(dsn, "SELECT digits FROM ref.kecamatan_digits")}


def test_the_kecamatan_list_is_today_and_the_history_and_follows_a_reload(pg_base, tmp_path, monkeypatch):
    dsn = new_database(pg_base, "reference")
    database.migrate(dsn)
    assert _listed(dsn) == set(), "migrated before any reference data: an empty list, not an error"

    province = load_province("21")
    assert reference.sync(dsn, province) == list(reference.DATASETS)
    today = _kecamatan_digits(REFERENCE_DIR / "wilayah.csv")
    history = _kecamatan_digits(REFERENCE_DIR / "wilayah_history.csv")
    assert history - today, "the history holds kecamatan codes that no longer exist"
    assert _listed(dsn) == today | history

    # a new history file: one code added, one dropped; wilayah.csv unchanged (not reloaded)
    changed = tmp_path / "reference"
    shutil.copytree(REFERENCE_DIR, changed)
    gone = sorted(history - today)[0]
    with open(changed / "wilayah_history.csv", encoding="utf-8", newline="") as fh:
        rows = [row for row in csv.DictReader(fh) if row["kode"].replace(".", "") != gone]
    rows.append({"kode": "91.99.99", "nama": "Kecamatan Uji", "tingkat": "kecamatan",
                 "pertama_tercatat": "2017", "masih_berlaku": "tidak"})
    with open(changed / "wilayah_history.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    monkeypatch.setattr(reference, "REFERENCE_DIR", changed)
    assert reference.sync(dsn, province) == ["wilayah_history.csv"]
    assert _listed(dsn) == (today | history | {"919999"}) - {gone}
