"""stage: read an archived file as the template says (:mod:`.contract`) and COPY it into a staging
table; drop staging tables when a branch ends."""

from bansos.stage.contract import FileRejected
from bansos.stage.stage import StageResult, StagingLost, drop_staging, stage_submission, staged_rows, sweep_staging

__all__ = ["FileRejected", "StageResult", "StagingLost", "drop_staging", "stage_submission", "staged_rows",
           "sweep_staging"]
