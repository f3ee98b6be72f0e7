"""Every key the pipeline builds inside the data root, in one place, so the layout is read in one file.

The data root (:mod:`bansos.domain.storage`: a local folder or an ``s3://`` prefix) holds one area per
purpose, each laid out by province and period:

* ``landing/<province>/<YYYY-MM>/<kab/kota>/``       where kab/kota offices put their extracts
* ``archive/<province>/<YYYY-MM>/<kab/kota>/<sha256>/<file>``     every received file, byte for byte
* ``quarantine/<province>/<YYYY-MM>/<kab/kota>/<sha256>/<file>``  a rejected file, its reasons and its
  correction list (``koreksi_<file stem>.csv`` / ``.xlsx``)
* ``correction_lists/<province>/<YYYY-MM>/<kab/kota>/<sha256>/``  the correction list of a file accepted
  with warnings (it is merged, so it has no quarantine copy to sit beside)
* ``reference/<province>/exclusions/``                the province's exclusion registry files
* ``archive/<province>/exclusions/<sha256>/<file>``   every version of a registry file, byte for byte
* ``datadocs/<province>/<YYYY-MM>/<kab/kota>/submission_<id>/``   GX Data Docs of a validation
* ``datadocs/_assets/<package>-<version>/``          the scripts, styles and fonts those pages load
* ``publish/<province>/<tahun>/``                     the yearly exports for the office
* ``outbox/``                                         alerts written as files

Folders are returned without a trailing slash; callers add ``/`` or a file name.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from bansos.domain.privacy import mask

_LONG_DIGITS = re.compile(r"\d{9,}")


def landing_folder(province: str, periode: str, kode_kabkota: str) -> str:
    """The folder a kab/kota office writes its extract for a month into (only files directly in it count)."""
    return f"landing/{province}/{periode}/{kode_kabkota}"


def landing_key(relative: str) -> str:
    """A file's key in the landing area, from its path under a landing root laid out the same way
    (``<province>/<YYYY-MM>/<kab/kota>/<file>``, as the synthetic generator writes it)."""
    return f"landing/{relative}"


def archive_folder(province: str, periode: str, kode_kabkota: str) -> str:
    """The folder the kab/kota-month's received files are archived under, each in a folder of its hash."""
    return f"archive/{province}/{periode}/{kode_kabkota}"


def hashed_key(folder: str, sha256: str, name: str) -> str:
    """A file kept under its SHA-256 in ``folder``: the same bytes land on the same key, other bytes never do."""
    return f"{folder}/{sha256}/{name}"


def exclusions_folder(province: str) -> str:
    """The folder the province keeps its exclusion registry files in (NIK no longer to be paid)."""
    return f"reference/{province}/exclusions"


def exclusions_archive_folder(province: str) -> str:
    """The folder every version of the province's registry files is archived under, each in a folder of its
    hash (beside the months' folders: ``exclusions`` is never a ``YYYY-MM``)."""
    return f"archive/{province}/exclusions"


def quarantine_folder(province: str, periode: str, kode_kabkota: str) -> str:
    """The folder the kab/kota-month's rejected files are copied to, each in a folder of its hash."""
    return f"quarantine/{province}/{periode}/{kode_kabkota}"


def correction_lists_folder(province: str, periode: str, kode_kabkota: str) -> str:
    """The folder the correction lists of accepted files with warnings go to, each in a folder of the file's hash.

    Not under ``quarantine/``: that area means "held out of the warehouse", and these files were merged.
    """
    return f"correction_lists/{province}/{periode}/{kode_kabkota}"


def correction_list_keys(folder: str, sha256: str, file_name: str) -> dict[str, str]:
    """``{".csv": key, ".xlsx": key}`` of a file's correction list: ``koreksi_<stem>`` in the folder of its hash.

    ``folder`` is :func:`quarantine_folder` for a rejected file (the list sits beside its copy) or
    :func:`correction_lists_folder` for an accepted one. Any run of nine or more digits in the stem is
    masked with ``x`` (a file name can hold a NIK; ``*`` is not allowed in Windows file names), so the
    list's name, and the alert's link to it, never carry an identifier.
    """
    stem = PurePosixPath(file_name).stem or "file"
    safe = _LONG_DIGITS.sub(lambda m: mask(m.group(0)).replace("*", "x"), stem)
    return {suffix: hashed_key(folder, sha256, f"koreksi_{safe}{suffix}") for suffix in (".csv", ".xlsx")}


def datadocs_month_folder(province: str, periode: str) -> str:
    """The Data Docs of every validation of a province-month (the approval request links to it)."""
    return f"datadocs/{province}/{periode}"


def datadocs_folder(province: str, periode: str, kode_kabkota: str, submission_id: int) -> str:
    """The folder of the GX Data Docs of one submission's validation (alerts link to it)."""
    return f"{datadocs_month_folder(province, periode)}/{kode_kabkota}/submission_{int(submission_id)}"


def datadocs_assets_folder() -> str:
    """The one folder of the files every Data Docs page loads (Bootstrap, jQuery, fonts...), shared by all
    validations so a page works offline; each package sits in a folder of its exact version, never rewritten."""
    return "datadocs/_assets"


def publish_folder(province: str, tahun: int) -> str:
    """The folder of a province-year's exports and their manifest."""
    return f"publish/{province}/{int(tahun)}"


def outbox_folder() -> str:
    """The folder alerts are written to as files when the data root is their target."""
    return "outbox"
