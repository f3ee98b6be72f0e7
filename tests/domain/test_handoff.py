"""The branch's hand-offs: each survives its trip through XCom unchanged, a form the pipeline does not make
is a clear error, and the JSON carries codes, ids and counts only."""

from __future__ import annotations

import json
import re

import pytest

from bansos.domain.handoff import (
    KINDS,
    BranchState,
    Found,
    Held,
    Merged,
    Rejected,
    Skipped,
    Staged,
    Validated,
    from_xcom,
    to_xcom,
)
from bansos.domain.outcome import RuleOutcome
from bansos.domain.privacy import FULL_IDENTIFIER

BRANCH = {"province": "21", "periode": "2022-03", "kode_kabkota": "21.71"}
STAGED = BRANCH | {"submission_id": 7, "waited": "arrived", "rows": 1200, "format": "csv", "encoding": "UTF8",
                   "delimiter": ";", "unknown_columns": ("keterangan",)}
REASONS = (
    RuleOutcome(rule="nik_format", severity="error", count=3, description="NIK harus 16 digit.",
                examples=({"source_line": 12, "nik_masked": "2171********0003"},)),
    RuleOutcome(rule="unknown_columns", severity="warning", count=1, description="Kolom di luar template."),
)

EVERY_HANDOFF = [
    Found(**BRANCH, state=BranchState.PROCESS, submission_id=7, waited="deadline"),
    Found(**BRANCH, state=BranchState.PROCESS, submission_id=9, unread=(7, 8)),
    Found(**BRANCH, state=BranchState.UNCHANGED, submission_id=7),
    Found(**BRANCH, state=BranchState.MISSING),
    Staged(**STAGED),
    Validated(**STAGED, warnings=("nik_region_other_kabkota",)),
    Merged(**BRANCH, state=BranchState.LOADED, submission_id=7, batch_id=3, rows=1200, replaced_batch_id=2,
           warnings=("nik_region_other_kabkota",)),
    Merged(**BRANCH, state=BranchState.UNCHANGED, submission_id=7, batch_id=3, rows=0),
    Merged(**BRANCH, state=BranchState.STALE, submission_id=7, batch_id=None, rows=0),
    Rejected(**BRANCH, submission_id=7, reasons=REASONS, rows=1200, alerted={"email": True, "outbox": False}),
    Rejected(**BRANCH, submission_id=8, reasons=(RuleOutcome(rule="ragged_rows", severity="error",
                                                             description="Baris 4: jumlah kolom."),)),
    Found(**BRANCH, state=BranchState.HELD, submission_id=7),
    Held(**BRANCH, submission_id=7, rows=1200, approved_batch_id=3, warnings=("nik_region_other_kabkota",),
         alerted={"outbox": True}),
    Held(**BRANCH, submission_id=8),
    Skipped(**BRANCH, submission_id=7, reason="held by run scheduled__2022-04-01T02:00:00+07:00"),
]


def through_xcom(handoff):
    return from_xcom(json.loads(json.dumps(to_xcom(handoff))))


@pytest.mark.parametrize("handoff", EVERY_HANDOFF, ids=lambda h: f"{type(h).__name__}-{h.state.value}")
def test_every_handoff_survives_xcom_unchanged(handoff):
    back = through_xcom(handoff)
    assert type(back) is type(handoff) and back == handoff


def test_every_kind_is_covered():
    assert {type(h) for h in EVERY_HANDOFF} == set(KINDS.values())
    assert {h.state for h in EVERY_HANDOFF} == set(BranchState)


def test_the_json_keeps_the_keys_the_dag_and_its_tests_read():
    staged = to_xcom(Staged(**STAGED))
    assert staged["kind"] == "staged"
    assert (staged["action"], staged["waited"], staged["kode_kabkota"], staged["periode"]) == (
        "process", "arrived", "21.71", "2022-03")
    assert staged["rows"] == 1200 and staged["submission_id"] == 7
    rejected = to_xcom(EVERY_HANDOFF[9])
    assert rejected["action"] == "rejected" and [r["rule"] for r in rejected["reasons"]] == ["nik_format",
                                                                                              "unknown_columns"]
    assert to_xcom(EVERY_HANDOFF[-1])["reason"].startswith("held by run")


def test_only_process_goes_on():
    assert [h.goes_on for h in EVERY_HANDOFF] == [h.state is BranchState.PROCESS for h in EVERY_HANDOFF]
    assert Found(**BRANCH, state=BranchState.MISSING).ending() == "21.71 2022-03: missing"
    assert Held(**BRANCH, submission_id=8).ending() == "21.71 2022-03: held: month locked (submission 8)"


def test_a_held_correction_travels_as_its_own_kind():
    held = to_xcom(Held(**BRANCH, submission_id=8, rows=10))
    assert (held["kind"], held["action"], held["submission_id"], held["rows"]) == ("held", "held", 8, 10)
    with pytest.raises(ValueError, match="a Merged hand-off cannot be 'held'"):
        Merged(**BRANCH, state=BranchState.HELD, submission_id=8, batch_id=None, rows=0)


def test_an_unknown_kind_is_a_clear_error():
    data = to_xcom(Staged(**STAGED))
    with pytest.raises(ValueError, match="unknown hand-off kind 'parcel'"):
        from_xcom(data | {"kind": "parcel"})
    with pytest.raises(ValueError, match="unknown hand-off kind None"):
        from_xcom({k: v for k, v in data.items() if k != "kind"})


def test_an_unknown_or_misplaced_state_is_a_clear_error():
    data = to_xcom(Found(**BRANCH, state=BranchState.PROCESS, submission_id=7))
    with pytest.raises(ValueError, match="unknown branch state 'lost'"):
        from_xcom(data | {"action": "lost"})
    with pytest.raises(ValueError, match="a Found hand-off cannot be 'loaded'"):
        from_xcom(data | {"action": "loaded"})
    with pytest.raises(ValueError, match="a Staged hand-off cannot be 'missing'"):
        Staged(**STAGED | {"state": "missing"})


def test_a_field_the_form_does_not_have_or_lacks_is_a_clear_error():
    data = to_xcom(Staged(**STAGED))
    with pytest.raises(ValueError, match="a staged hand-off has no field.* archive_key"):
        from_xcom(data | {"archive_key": "archive/21/2022-03/21.71/abc/batam.csv"})
    with pytest.raises(ValueError, match="a staged hand-off is incomplete"):
        from_xcom({k: v for k, v in data.items() if k != "rows"})


PATH = re.compile(r"^/|\\|://|\.(csv|xlsx|json|html)\b|(^|/)(landing|archive|quarantine|datadocs|outbox)/")


def _strings(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, str):
        yield value


@pytest.mark.parametrize("handoff", EVERY_HANDOFF, ids=lambda h: f"{type(h).__name__}-{h.state.value}")
def test_the_json_holds_no_path_file_name_or_identifier(handoff):
    data = to_xcom(handoff)
    assert not {"archive_key", "quarantine_key", "data_docs", "file_name", "sha256"} & set(data)
    for text in _strings(data):
        assert not PATH.search(text), f"a path or file name in the hand-off: {text!r}"
        assert not FULL_IDENTIFIER.search(text), f"an identifier in the hand-off: {text!r}"
    assert len(json.dumps(data)) < 1000, "the hand-off stays small"
