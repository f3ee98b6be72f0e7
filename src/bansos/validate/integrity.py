"""Integrity across kab/kota, once every branch of a month is merged.

A kab/kota can only check its own file. The province sees all of them: the same NIK receiving
the same programme from two kab/kota in one month (paid twice), and one NIK in two households
(two family cards). Findings go to ``dq.integrity_finding`` with the masked NIK and the batch and
source line of every occurrence, and raise a warning alert; they do not undo any merge.
"""

from __future__ import annotations

from dataclasses import dataclass

from bansos.domain.outcome import RuleOutcome
from bansos.warehouse import sqlfiles
from bansos.warehouse.database import connect

KINDS = {
    "nik_programme_in_two_kabkota": "NIK yang sama menerima program yang sama di dua kab/kota "
    "(the same NIK received the same programme in two kab/kota)",
    "nik_in_two_households": "NIK yang sama tercatat di dua KK (one NIK in two households)",
}


@dataclass(frozen=True)
class Finding:
    kind: str
    kode_program: str | None
    nik_masked: str
    kabkota: list[str]
    households: int


def check_month(dsn: str, province: str, periode: str) -> list[Finding]:
    """Record and return the cross-kab/kota findings of a province-month, once its branches are merged.

    Reads the current batches only and replaces the month's earlier findings, so a re-run gives the same rows.
    """
    with connect(dsn) as conn, conn.cursor() as cur:
        sqlfiles.run_script(
            cur, sqlfiles.read("validate/integrity/find_findings.sql"), {"province": province, "periode": periode}
        )
        return [Finding(*row) for row in cur.fetchall()]


def as_rules(findings: list[Finding]) -> list[RuleOutcome]:
    """Findings grouped by kind, one failed warning rule each, as alerts and reports show them."""
    rules = []
    for kind, description in KINDS.items():
        found = [f for f in findings if f.kind == kind]
        if found:
            rules.append(
                RuleOutcome(
                    rule=kind,
                    severity="warning",
                    count=len(found),
                    description=description,
                    examples=tuple(
                        {"nik_masked": f.nik_masked, "kabkota": f.kabkota, "kode_program": f.kode_program}
                        for f in found[:5]
                    ),
                )
            )
    return rules
