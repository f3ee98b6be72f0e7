"""The outcome of one rule about one file or month: a validation rule, a contract error, an integrity finding.

Validate records every outcome in ``dq.rule_result``; a failed one is a *reason*, in the one shape
:meth:`RuleOutcome.to_dict` gives it wherever it is written or shown: ``reasons.json`` beside a
quarantined file, ``raw.submission.reasons``, an alert's rules, the branch's hand-off.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RuleOutcome:
    """``count``: the rows (or cases) that failed; ``examples``: masked, at most a handful.

    ``element_count`` and ``unexpected_pct`` are the suite's statistics, recorded in ``dq`` only.
    """

    rule: str
    severity: str  # "error" (rejects the file) or "warning"
    description: str
    success: bool = False
    count: int | None = None
    examples: tuple = ()
    element_count: int | None = None
    unexpected_pct: float | None = None

    def to_dict(self) -> dict:
        """The reason's JSON form: ``rule``, ``severity``, ``count``, ``description``, ``examples``."""
        return {
            "rule": self.rule,
            "severity": self.severity,
            "count": self.count,
            "description": self.description,
            "examples": list(self.examples),
        }

    @classmethod
    def from_dict(cls, reason: dict) -> RuleOutcome:
        """A failed rule back from its :meth:`to_dict` form."""
        return cls(
            rule=reason["rule"],
            severity=reason["severity"],
            description=reason["description"],
            count=reason.get("count"),
            examples=tuple(reason.get("examples") or ()),
        )
