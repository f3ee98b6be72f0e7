"""approve: the province's approval of a month before its figures count as final, and the lock on approved
kab/kota-months (issue 13). Importable without Airflow; the HITL wiring lives in orchestration/ and dags/."""

from bansos.approve.decision import (
    NotLocked,
    Recorded,
    StaleRequest,
    held_submissions,
    history,
    is_locked,
    province_history,
    record,
    state,
    unlock,
)
from bansos.approve.request import ApprovalRequest, KabkotaRequest, ProgrammeFigure, request

__all__ = ["ApprovalRequest", "KabkotaRequest", "NotLocked", "ProgrammeFigure", "Recorded", "StaleRequest",
           "held_submissions", "history", "is_locked", "province_history", "record", "request", "state", "unlock"]
