"""The README states how many faults the tests inject (section "Reliability"): it must stay the true count."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATED = re.compile(r"\*\*(\d+) faults are injected by the tests and\s+survived\*\*: (\d+) in `tests/faults/`")


def test_the_readme_counts_every_fault_test():
    faults = sum(
        len(re.findall(r"^def test_", path.read_text(encoding="utf-8"), flags=re.MULTILINE))
        for path in (ROOT / "tests" / "faults").glob("test_*.py")
    )
    stated = STATED.search((ROOT / "README.md").read_text(encoding="utf-8"))
    assert stated, "README 'Reliability' must state the count of faults injected"
    total, in_folder = map(int, stated.groups())
    assert in_folder == faults, f"README says {in_folder} fault tests in tests/faults/, there are {faults}"
    assert total == faults + 3, "the folder's faults, plus dag.test(), the DAG failure path and the e2e two runs"
