"""The catalogue's rules across months and on the target group (issue 11), through the pipeline's own steps.

A household or a person paid a once-a-year programme (BSKK) in January and again in June, a business grant
(UEP) paid in 2022 and again in 2023, a desil above extreme-poverty BLT's target or none at all: each file
lands as a kab/kota office would send it, runs extract, stage and the GX suite on a real PostgreSQL, and the
rule must fire in ``dq.rule_result`` with the number of offending rows. A correction of an earlier month is
judged against the other months only. The severity is the programme's setting: set to "warning", the same
file is merged with a warning. And the synthetic Kepri 2022 year (with Batam's 2023 BLT) breaks none of them.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from bansos.domain.config import PROVINCES_DIR, load_province
from bansos.domain.handoff import Validated, from_xcom, to_xcom
from bansos.orchestration import steps
from bansos.warehouse import reference, sqlfiles
from tests.pipeline import KABKOTA, land, query, run_branch, source_file
from tools.synthetic import write_batam_blt_2023

KODE = "21.72"  # Tanjungpinang: BSKK, JAMSOS, UEP and KUBE in 2022
PERSON = ["nik", "nama", "jenis_kelamin", "tanggal_lahir"]
FACTS = [
    "household_per_year_severity",
    "nik_per_year_severity",
    "household_lifetime_severity",
    "nik_lifetime_severity",
    "desil_above_max_severity",
    "desil_missing_severity",
]
CATALOGUE_RULES = {
    "household_max_per_year",
    "nik_max_per_year",
    "household_max_per_lifetime",
    "nik_max_per_lifetime",
    "desil_max",
    "desil_required",
}


def _frame(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _csv(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False, lineterminator="\n").encode()


def _moved(rows: pd.DataFrame, periode: str) -> pd.DataFrame:
    """The same distributions, paid in another month."""
    rows = rows.copy()
    rows["periode"] = periode
    rows["tanggal_salur"] = periode + "-15"
    return rows


def _load_without_suite(periode: str, kode: str, run_id: str = "setup") -> str:
    """extract -> stage -> merge, handing merge what validate does when every rule passes: the months a
    test builds on are clean synthetic files (the suite on them is what the year test below checks)."""
    ref = steps.extract("21", periode, kode)
    if ref["action"] == "process":
        ref = steps.stage(ref, run_id)
    if ref["action"] == "process":
        ref = steps.merge(to_xcom(Validated(**vars(from_xcom(ref)), warnings=())), run_id)
    return ref["action"]


def _results(dsn: str, ref: dict) -> dict[str, tuple[str, bool, int | None]]:
    rows = query(
        dsn,
        "SELECT rule, severity, success, unexpected_count FROM dq.rule_result WHERE submission_id = %s",
        (ref["submission_id"],),
    )
    return {rule: (severity, success, count) for rule, severity, success, count in rows}


def _failed(results: dict, severity: str) -> dict[str, int]:
    return {rule: count for rule, (sev, ok, count) in results.items() if sev == severity and not ok}


@pytest.fixture
def months(runtime_env, kepri2022):
    """January and June 2022 of Tanjungpinang, and January loaded into the warehouse."""
    jan = _frame(source_file(kepri2022, "2022-01", KODE))
    jun = _frame(source_file(kepri2022, "2022-06", KODE))
    land(runtime_env["root"], kepri2022, "2022-01", KODE)
    assert _load_without_suite("2022-01", KODE) == "loaded"
    return runtime_env, jan, jun


def _paid_again_in_june(jan: pd.DataFrame, jun: pd.DataFrame, by: str, n: int = 3) -> pd.DataFrame:
    """June's file plus ``n`` BSKK distributions to households (``by`` = "household") or persons ("nik")
    January already paid; the other key is taken from June's JAMSOS-only recipients, so only one rule applies."""
    paid = _moved(jan[jan["kode_program"] == "BSKK"].head(n), "2022-06").reset_index(drop=True)
    assert len(paid) == n, "January pays BSKK in Tanjungpinang"
    fresh = jun[
        (jun["kode_program"] == "JAMSOS")
        & ~jun["no_kk"].isin(jan["no_kk"])
        & ~jun["nik"].isin(jan["nik"])
        & ~jun["no_kk"].isin(jun.loc[jun["kode_program"] == "BSKK", "no_kk"])
    ].head(n).reset_index(drop=True)
    if by == "household":  # the same No KK, another member's NIK
        paid[PERSON] = fresh[PERSON]
    elif by == "nik":  # the same person, on another family card
        paid[["no_kk", "kode_kecamatan", "kode_desa", "alamat"]] = fresh[
            ["no_kk", "kode_kecamatan", "kode_desa", "alamat"]
        ]
    return pd.concat([jun, paid], ignore_index=True)


@pytest.mark.parametrize(
    ("by", "rule"), [("household", "household_max_per_year"), ("nik", "nik_max_per_year")]
)
def test_a_once_a_year_programme_paid_again_later_in_the_year_is_rejected(months, kepri2022, by, rule):
    env, jan, jun = months
    land(env["root"], kepri2022, "2022-06", KODE, content=_csv(_paid_again_in_june(jan, jun, by)))

    result = run_branch("2022-06", KODE, run_id=f"again-{by}")

    assert result["action"] == "rejected"
    results = _results(env["dsn"], result)
    assert _failed(results, "error") == {rule: 3}, "only the rule of the repeated key, on the 3 repeated rows"
    assert results[f"{rule}_warning"][1], "BSKK's severity is error: the warning twin holds"
    assert {r["rule"] for r in result["reasons"] if r["severity"] == "error"} == {rule}
    assert query(env["dsn"], "SELECT count(*) FROM core.kabkota_month WHERE periode = '2022-06'") == [(0,)]


def test_the_same_programme_in_months_of_another_year_is_not_counted(months, kepri2022):
    env, jan, _ = months
    bskk = _moved(jan[jan["kode_program"] == "BSKK"].head(2), "2023-01")
    land(env["root"], kepri2022, "2023-01", KODE, name="penyaluran_2023.csv", content=_csv(bskk))

    result = run_branch("2023-01", KODE, run_id="next-year")

    assert result["action"] == "loaded", result.get("reasons")
    assert not _failed(_results(env["dsn"], result), "error")


def test_a_correction_is_judged_against_the_other_months_not_itself(months, kepri2022):
    env, jan, jun = months
    land(env["root"], kepri2022, "2022-06", KODE)
    assert _load_without_suite("2022-06", KODE) == "loaded"
    batch = query(env["dsn"], "SELECT current_batch_id FROM core.kabkota_month WHERE periode = '2022-01'")

    # January re-sent with the same distributions (rows in another order: a new file, the same payments)
    resent = jan.iloc[::-1]
    land(env["root"], kepri2022, "2022-01", KODE, name="koreksi_1.csv", content=_csv(resent))
    result = run_branch("2022-01", KODE, run_id="correction-same")
    assert result["action"] == "loaded", result.get("reasons")
    results = _results(env["dsn"], result)
    assert {r for r in CATALOGUE_RULES if not results[r][1]} == set()
    assert query(env["dsn"], "SELECT current_batch_id FROM core.kabkota_month WHERE periode = '2022-01'") != batch

    # ... and a correction that pays in January a household June already paid BSKK breaks the rule
    june_bskk = _moved(jun[jun["kode_program"] == "BSKK"].head(2), "2022-01")
    land(env["root"], kepri2022, "2022-01", KODE, name="koreksi_2.csv",
         content=_csv(pd.concat([jan, june_bskk], ignore_index=True)))
    result = run_branch("2022-01", KODE, run_id="correction-more")
    assert result["action"] == "rejected"
    assert _failed(_results(env["dsn"], result), "error") == {"household_max_per_year": 2, "nik_max_per_year": 2}


def _month_with_two_business_grants(kepri2022) -> str:
    """The first 2022 month in which Tanjungpinang pays UEP at least twice."""
    return next(
        f"2022-{m:02d}" for m in range(1, 13)
        if (_frame(source_file(kepri2022, f"2022-{m:02d}", KODE))["kode_program"] == "UEP").sum() >= 2
    )


def test_a_business_grant_paid_again_next_year_breaks_the_lifetime_rule(runtime_env, kepri2022):
    env = runtime_env
    month = _month_with_two_business_grants(kepri2022)
    uep = _frame(source_file(kepri2022, month, KODE))
    land(env["root"], kepri2022, month, KODE)
    assert _load_without_suite(month, KODE) == "loaded"
    again = _moved(uep[uep["kode_program"] == "UEP"].head(2), "2023-03")
    land(env["root"], kepri2022, "2023-03", KODE, name="penyaluran_2023.csv", content=_csv(again))

    result = run_branch("2023-03", KODE, run_id="uep-again")

    assert result["action"] == "rejected"
    results = _results(env["dsn"], result)
    assert _failed(results, "error") == {"household_max_per_lifetime": 2, "nik_max_per_lifetime": 2}
    assert results["household_max_per_year"][1], "another calendar year: the yearly rule holds"


def test_a_correction_of_an_earlier_year_counts_a_later_years_business_grant(runtime_env, kepri2022):
    """The lifetime rule reads the months of every other year, later ones too: a 2022 month corrected after a
    2023 month paid the same UEP is judged against 2023 (stage's lookups outside the file's year)."""
    env = runtime_env
    month = _month_with_two_business_grants(kepri2022)
    original = _frame(source_file(kepri2022, month, KODE))
    land(env["root"], kepri2022, month, KODE)
    assert _load_without_suite(month, KODE) == "loaded"
    # 2023 pays the same two business grants, loaded without the suite (as if the rule had been a warning)
    uep = original[original["kode_program"] == "UEP"].head(2)
    land(env["root"], kepri2022, "2023-03", KODE, name="penyaluran_2023.csv", content=_csv(_moved(uep, "2023-03")))
    assert _load_without_suite("2023-03", KODE) == "loaded"

    # the 2022 month corrected afterwards: the same distributions in another order (a new file, the same payments)
    land(env["root"], kepri2022, month, KODE, name="koreksi_1.csv", content=_csv(original.iloc[::-1]))
    result = run_branch(month, KODE, run_id="correction-after-2023")

    assert result["action"] == "rejected"
    results = _results(env["dsn"], result)
    assert _failed(results, "error") == {"household_max_per_lifetime": 2, "nik_max_per_lifetime": 2}
    assert results["household_max_per_year"][1], "another calendar year: the yearly rule holds"


def test_a_warning_severity_in_the_catalogue_merges_the_file_with_a_warning(months, kepri2022):
    env, jan, jun = months
    province = load_province("21")
    lenient = dataclasses.replace(
        province,
        programmes=tuple(
            dataclasses.replace(p, max_per_year_severity="warning") if p.kode == "BSKK" else p
            for p in province.programmes
        ),
    )
    reference.sync(env["dsn"], lenient)
    land(env["root"], kepri2022, "2022-06", KODE, content=_csv(_paid_again_in_june(jan, jun, "both")))

    result = run_branch("2022-06", KODE, run_id="lenient")

    assert result["action"] == "loaded", result.get("reasons")
    results = _results(env["dsn"], result)
    assert not _failed(results, "error")
    assert _failed(results, "warning") == {"household_max_per_year_warning": 3, "nik_max_per_year_warning": 3}
    [(twice,)] = query(
        env["dsn"],
        "SELECT count(*) FROM (SELECT kk_hash FROM core.distribution_current WHERE kode_program = 'BSKK' "
        "GROUP BY kk_hash HAVING count(*) > 1) AS t",
    )
    assert twice == 3, "merged: the three households are paid BSKK twice in 2022"


@pytest.fixture(scope="module")
def batam2023(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("batam2023")
    write_batam_blt_2023(root)
    return root


def test_extreme_poverty_blt_outside_desil_1_or_without_desil_is_rejected(runtime_env, batam2023):
    env = runtime_env
    blt = _frame(source_file(batam2023, "2023-10", "21.71"))
    assert set(blt["desil"]) == {"1"}
    blt.loc[[0, 1], "desil"] = "3"
    blt.loc[[2], "desil"] = ""
    land(env["root"], batam2023, "2023-10", "21.71", content=_csv(blt))

    result = run_branch("2023-10", "21.71", run_id="desil")

    assert result["action"] == "rejected"
    results = _results(env["dsn"], result)
    assert _failed(results, "error") == {"desil_max": 2, "desil_required": 1}
    examples = query(env["dsn"], "SELECT examples::text FROM dq.rule_result WHERE submission_id = %s "
                     "AND rule = 'desil_max'", (result["submission_id"],))[0][0]
    assert '"source_line": 2' in examples and "*" in examples, "masked examples with the file's line"


def _stage_checked_facts(periode: str, kode: str, dsn: str) -> tuple[str, dict[str, int]]:
    """Stage one landed month and count, per catalogue fact, the rows that break its rule; then merge it."""
    ref = steps.stage(steps.extract("21", periode, kode), "year")
    assert ref["action"] == "process", ref
    checked = ".".join(sqlfiles.staging_table(ref["submission_id"], "checked", "year").strings)
    counts = query(
        dsn,
        "SELECT " + ", ".join(f"count({f})" for f in FACTS) + f" FROM {checked}",  # noqa: S608 - test only
    )[0]
    merged = steps.merge(to_xcom(Validated(**vars(from_xcom(ref)), warnings=())), "year")
    return merged["action"], {f: c for f, c in zip(FACTS, counts, strict=True) if c}


@pytest.mark.slow  # 87 files staged and merged in order (32 s idle): not in `make check`
def test_the_synthetic_years_break_no_catalogue_rule(runtime_env, kepri2022, batam2023):
    """Every Kepri 2022 month in order, then Batam's 2023 BLT: no row of any file breaks a catalogue rule
    against the months merged before it, so the demo's 58,849 KK still load clean."""
    env = runtime_env
    broken = {}
    for m in range(1, 13):
        periode = f"2022-{m:02d}"
        for kode in KABKOTA:
            land(env["root"], kepri2022, periode, kode)
            action, facts = _stage_checked_facts(periode, kode, env["dsn"])
            assert action == "loaded"
            if facts:
                broken[(periode, kode)] = facts
    for periode in ("2023-10", "2023-11", "2023-12"):
        land(env["root"], batam2023, periode, "21.71")
        action, facts = _stage_checked_facts(periode, "21.71", env["dsn"])
        assert action == "loaded"
        if facts:
            broken[(periode, "21.71")] = facts
    assert broken == {}
    [(kk,)] = query(
        env["dsn"],
        "SELECT sum(n) FROM (SELECT count(DISTINCT kk_hash) AS n FROM core.distribution_current "
        "WHERE periode LIKE '2022-%%' GROUP BY kode_kabkota, kode_program) AS t",
    )
    assert kk == 58849


def test_catalogue_settings_default_to_error_and_refuse_other_severities(tmp_path):
    province = load_province("21")
    bskk, uep, blt = (province.programme(k) for k in ("BSKK", "UEP", "BLT-EKSTREM"))
    assert (bskk.max_per_year, bskk.max_per_year_severity, bskk.max_per_lifetime) == (1, "error", None)
    assert uep.max_per_lifetime == 1
    assert (blt.desil_max, blt.desil_required, blt.desil_severity) == (1, True, "error")
    text = next(PROVINCES_DIR.glob("21-*.toml")).read_text(encoding="utf-8")
    for name, broken, setting in (
        ("a", text.replace("max_per_year = 1\n", 'max_per_year = 1\nmax_per_year_severity = "fatal"\n', 1),
         "max_per_year_severity"),
        ("b", text.replace("desil_max = 1\n", "desil_max = 11\n"), "desil_max"),
    ):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "21-bad.toml").write_text(broken, encoding="utf-8")
        with pytest.raises(ValueError, match=setting):
            load_province("21", folder)


def test_the_suite_asks_two_rules_of_every_catalogue_fact():
    from bansos.validate.validate import load_suite_json

    suite = load_suite_json()["expectations"]
    for rule in CATALOGUE_RULES:
        error, warning = (next(e for e in suite if e["meta"]["rule"] == name) for name in (rule, rule + "_warning"))
        assert error["kwargs"]["column"] == warning["kwargs"]["column"] in FACTS
        assert (error["severity"], error["kwargs"]["value_set"]) == ("critical", ["error"])
        assert (warning["severity"], warning["kwargs"]["value_set"]) == ("warning", ["warning"])
        assert error["meta"]["field"] and error["meta"]["action"] and "(" in error["meta"]["description"]
