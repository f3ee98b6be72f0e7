"""Province settings read from TOML: the correction list's cap, with its default."""

from __future__ import annotations

import pytest

from bansos.domain.config import DEFAULT_CORRECTION_MAX_ROWS, PROVINCES_DIR, load_province


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
