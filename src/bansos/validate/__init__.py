"""validate: run the GX suite on the staged rows, record every rule's outcome, publish the Data Docs;
the row-count history and the cross-kab/kota integrity checks."""

from bansos.validate.history import row_count_bounds
from bansos.validate.integrity import Finding, check_month
from bansos.validate.validate import RulesCouldNotRun, Verdict, load_suite_json, validate_submission

__all__ = ["Finding", "RulesCouldNotRun", "Verdict", "check_month", "load_suite_json",
           "row_count_bounds", "validate_submission"]
