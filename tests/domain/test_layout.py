"""The data root's layout: each area's key has the shape the offices, the README and the DAG docs name."""

from __future__ import annotations

from bansos.domain import layout
from bansos.extract.quarantine import quarantine_key

SHA = "ab" * 32


def test_landing_folder_is_province_month_kabkota():
    assert layout.landing_folder("21", "2022-03", "2171") == "landing/21/2022-03/2171"


def test_landing_key_keeps_the_relative_path():
    assert layout.landing_key("21/2022-03/2171/penyaluran_batam_202203.csv") == (
        "landing/21/2022-03/2171/penyaluran_batam_202203.csv"
    )


def test_archive_key_is_the_file_under_its_hash():
    folder = layout.archive_folder("21", "2022-03", "2171")
    assert folder == "archive/21/2022-03/2171"
    assert layout.hashed_key(folder, SHA, "a.csv") == f"archive/21/2022-03/2171/{SHA}/a.csv"


def test_quarantine_key_is_the_file_under_its_hash():
    assert layout.quarantine_folder("21", "2022-03", "2171") == "quarantine/21/2022-03/2171"
    ref = {"province": "21", "periode": "2022-03", "kode_kabkota": "2171", "sha256": SHA, "file_name": "a.csv"}
    assert quarantine_key(ref) == f"quarantine/21/2022-03/2171/{SHA}/a.csv"


def test_datadocs_folder_is_per_submission():
    assert layout.datadocs_folder("21", "2022-03", "2171", 42) == "datadocs/21/2022-03/2171/submission_42"


def test_datadocs_assets_are_one_folder_beside_every_provinces_sites():
    assets = layout.datadocs_assets_folder()
    site = layout.datadocs_folder("21", "2022-03", "2171", 42)
    assert assets == "datadocs/_assets" and assets.split("/")[0] == site.split("/")[0]


def test_publish_folder_is_province_year():
    assert layout.publish_folder("21", 2022) == "publish/21/2022"
    assert layout.publish_folder("21", "2022") == "publish/21/2022"


def test_outbox_folder():
    assert layout.outbox_folder() == "outbox"


def test_the_exclusion_registry_and_its_archive_are_per_province():
    assert layout.exclusions_folder("21") == "reference/21/exclusions"
    folder = layout.exclusions_archive_folder("21")
    assert layout.hashed_key(folder, SHA, "r.csv") == f"archive/21/exclusions/{SHA}/r.csv"


def test_correction_list_keys_sit_in_the_files_hash_folder():
    folder = layout.quarantine_folder("21", "2022-03", "21.71")
    assert layout.correction_list_keys(folder, SHA, "penyaluran_batam.csv") == {
        ".csv": f"quarantine/21/2022-03/21.71/{SHA}/koreksi_penyaluran_batam.csv",
        ".xlsx": f"quarantine/21/2022-03/21.71/{SHA}/koreksi_penyaluran_batam.xlsx",
    }
    assert layout.correction_lists_folder("21", "2022-03", "21.71") == "correction_lists/21/2022-03/21.71"


def test_a_correction_list_name_never_carries_an_identifier():
    keys = layout.correction_list_keys("f", SHA, "batam 2171015505800002.xlsx")
    assert keys[".xlsx"] == f"f/{SHA}/koreksi_batam 2171xxxxxxxx0002.xlsx"


def test_a_month_s_data_docs_hold_each_submission_s():
    month = layout.datadocs_month_folder("21", "2022-03")
    assert month == "datadocs/21/2022-03"
    assert layout.datadocs_folder("21", "2022-03", "21.71", 7) == f"{month}/21.71/submission_7"
