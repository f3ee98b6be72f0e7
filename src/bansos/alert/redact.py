"""The last privacy pass before an alert leaves the process: no full NIK or No KK, names or birth dates.

Upstream code already masks examples (``2171********0003``); this pass runs again on everything an
alert renders, because a description or an exception text can quote a raw identifier. It is
:func:`bansos.domain.privacy.mask_text` with one exception: a hexadecimal digest (32, 40 or 64 characters
with at least one letter, such as the SHA-256 in a quarantine path) is kept whole so the link still
works, unless it holds a run of 16 digits. Example values keyed like personal fields (name, birth
date, address, disability) are dropped, and date-shaped example values are blanked.
"""

from __future__ import annotations

import re

from bansos.domain.privacy import mask_text

_DIGEST = re.compile(r"(?<![0-9A-Za-z])[0-9a-fA-F]{32,64}(?![0-9A-Za-z])")
_HEX_LETTER = re.compile(r"[a-fA-F]")
_SIXTEEN_DIGITS = re.compile(r"\d{16,}")
_DATE = re.compile(r"(?<!\d)\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?!\d)")
_PERSONAL_KEY = re.compile(r"nama|name|lahir|birth|dob|alamat|address|disab|difabel|cacat|telp|phone",
                           re.IGNORECASE)
_LONG_INT = 10**8  # integers of 9 digits or more are treated like identifiers, as mask_text does
MAX_EXAMPLES = 5


def _is_digest(token: str) -> bool:
    return (len(token) in (32, 40, 64) and bool(_HEX_LETTER.search(token))
            and not _SIXTEEN_DIGITS.search(token))


def clean_text(text: str) -> str:
    """``mask_text`` over the whole text, digests excepted."""
    out, pos = [], 0
    for match in _DIGEST.finditer(text):
        if _is_digest(match.group()):
            out += [mask_text(text[pos:match.start()]), match.group()]
            pos = match.end()
    out.append(mask_text(text[pos:]))
    return "".join(out)


def clean_value(value):
    """:func:`clean_text` through a JSON-like value; long integers become masked strings."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        return clean_text(str(value)) if abs(value) >= _LONG_INT else value
    if isinstance(value, dict):
        return {str(k): clean_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [clean_value(v) for v in value]
    return clean_text(str(value))


def _example(value):
    if isinstance(value, dict):
        return {k: _example(v) for k, v in value.items() if not _PERSONAL_KEY.search(str(k))}
    if isinstance(value, list | tuple):
        return [_example(v) for v in value]
    if isinstance(value, str):
        return _DATE.sub("****-**-**", value)
    return value


def clean_examples(examples) -> list:
    """At most five examples, without personal fields or dates, identifiers masked."""
    if not isinstance(examples, list | tuple):
        examples = [] if examples is None else [examples]
    return clean_value([_example(e) for e in list(examples)[:MAX_EXAMPLES]])


def clean_rule(rule: dict) -> dict:
    return {
        "rule": clean_text(str(rule.get("rule", "?"))),
        "severity": clean_text(str(rule.get("severity") or "error")),
        "count": clean_value(rule.get("count")),
        "description": clean_text(str(rule.get("description") or "")),
        "examples": clean_examples(rule.get("examples")),
    }
