"""merge: pseudonymise NIK and No KK and replace the kab/kota-month in the warehouse atomically;
the pseudonymisation key's fingerprint and its rotation (:mod:`.keys`)."""

from bansos.merge.keys import KeyMismatch, check_key, fingerprint
from bansos.merge.merge import MergeResult, merge_submission

__all__ = ["KeyMismatch", "MergeResult", "check_key", "fingerprint", "merge_submission"]
