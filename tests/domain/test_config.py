"""Province settings read from TOML: the correction list's cap and the approval timeout, with their defaults."""

from __future__ import annotations

import pytest

from bansos.domain.config import (
    DEFAULT_APPROVAL_TIMEOUT_HOURS,
    DEFAULT_CORRECTION_MAX_ROWS,
    PROVINCES_DIR,
    load_province,
)


def _province(tmp_path, extra: str = "") -> str:
    text = (PROVINCES_DIR / "21-kepulauan-riau.toml").read_text(encoding="utf-8")
    text = text.replace("correction_max_rows = 5000\n", extra)
    (tmp_path / "21-test.toml").write_text(text, encoding="utf-8")
    return tmp_path


def test_kepri_sets_its_correction_cap():
    assert load_province("21").correction_max_rows == 5000


def test_the_cap_defaults_when_a_province_sets_none(tmp_path):
    assert load_province("21", _province(tmp_path)).correction_max_rows == DEFAULT_CORRECTION_MAX_ROWS


def test_a_province_may_set_its_own_cap(tmp_path):
    assert load_province("21", _province(tmp_path, "correction_max_rows = 250\n")).correction_max_rows == 250


def test_a_cap_below_one_is_refused(tmp_path):
    with pytest.raises(ValueError, match="correction_max_rows"):
        load_province("21", _province(tmp_path, "correction_max_rows = 0\n"))


def test_the_approval_timeout_is_a_province_setting_with_a_default(tmp_path):
    assert load_province("21").approval_timeout_hours == 336
    assert load_province("61").approval_timeout_hours == DEFAULT_APPROVAL_TIMEOUT_HOURS == 336
    text = (PROVINCES_DIR / "21-kepulauan-riau.toml").read_text(encoding="utf-8")

    def variant(name: str, replacement: str):
        folder = tmp_path / name  # load_province caches by folder
        folder.mkdir()
        (folder / "21-test.toml").write_text(text.replace("approval_timeout_hours = 336\n", replacement),
                                             encoding="utf-8")
        return load_province("21", folder)

    assert variant("three_days", "approval_timeout_hours = 72\n").approval_timeout_hours == 72
    assert variant("unset", "").approval_timeout_hours == DEFAULT_APPROVAL_TIMEOUT_HOURS
    with pytest.raises(ValueError, match="approval_timeout_hours"):
        variant("zero", "approval_timeout_hours = 0\n")


def test_a_programme_counts_households_unless_its_province_says_persons():
    assert {p.counting_unit for p in load_province("21").programmes} == {"households"}
    blt = load_province("64").programme("BLT-P3KE")
    assert (blt.counting_unit, blt.counts_persons) == ("persons", True)
    assert not load_province("61").programme("PKH").counts_persons


def test_an_unknown_counting_unit_is_refused(tmp_path):
    text = (PROVINCES_DIR / "64-kalimantan-timur.toml").read_text(encoding="utf-8")
    (tmp_path / "64-test.toml").write_text(text.replace('counting_unit = "persons"', 'counting_unit = "jiwa"'),
                                           encoding="utf-8")
    with pytest.raises(ValueError, match="counting_unit must be one of"):
        load_province("64", tmp_path)


def test_every_kabkota_of_the_new_provinces_is_inside_them():
    assert load_province("64").kabkota_codes == ["64.72", "64.74"]
    assert load_province("61").kabkota_codes == ["61.71"]
    assert (load_province("64").timezone, load_province("61").timezone) == ("Asia/Makassar", "Asia/Pontianak")
