"""extract: find a kab/kota's file in the landing area, archive it byte for byte under its SHA-256,
record it in ``raw.submission``; quarantine a rejected one with its reasons."""

from bansos.extract.extract import (
    ExtractResult,
    LandingNotSettled,
    find_and_archive,
    list_candidates,
    settle_seconds,
    unsettled_for,
)
from bansos.extract.quarantine import quarantine_key, quarantine_submission

__all__ = ["ExtractResult", "LandingNotSettled", "find_and_archive", "list_candidates",
           "quarantine_key", "quarantine_submission", "settle_seconds", "unsettled_for"]
