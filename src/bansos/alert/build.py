"""Alerts built from what the pipeline already has: a rejected submission, a missed deadline, findings.

The builders look up the province and kab/kota names in the province configuration and phrase
the summary; callers add the links they know (Data Docs, quarantine URI; the Airflow log is taken
from the running task when there is one). They build, never send: pass the result to
``bansos.alert.ledger.notify`` (or ``record``).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import date, timedelta

from bansos.alert.message import Alert
from bansos.domain.config import load_province
from bansos.domain.outcome import RuleOutcome


def names(province: str, kode_kabkota: str | None) -> tuple[str, str | None]:
    """The province's and the kab/kota's names; blank when the configuration does not know them."""
    try:
        prov = load_province(province)
    except (FileNotFoundError, KeyError, ValueError):
        return "", None
    try:
        return prov.nama, prov.kabkota_by_code(kode_kabkota).nama if kode_kabkota else None
    except KeyError:
        return prov.nama, None


def task_log_url() -> str | None:
    """The Airflow log of the task running now, or None outside a task."""
    if "airflow.sdk" not in sys.modules:  # not in a task: spare the 4-5 s import of Airflow
        return None
    try:
        from airflow.sdk import get_current_context

        return get_current_context()["ti"].log_url
    except Exception:  # noqa: BLE001 - no Airflow, or not inside a task
        return None


def _links(links: dict | None) -> dict[str, str]:
    out = {k: v for k, v in (links or {}).items() if v}
    if "Airflow log" not in out and (url := task_log_url()):
        out["Airflow log"] = url
    return out


def rejected_alert(ref: dict, reasons: Sequence[RuleOutcome], links: dict | None = None) -> Alert:
    """From what ``steps`` knows of the rejected file (province, periode, kode_kabkota, file, sha256) and why."""
    province, kode = ref["province"], ref["kode_kabkota"]
    province_name, kabkota_name = names(province, kode)
    errors = [r for r in reasons if r.severity == "error"]
    summary = (f"Extract {ref.get('file_name') or ''} ditolak: {len(errors)} aturan error gagal; "
               "file dikarantina dan tidak digabung ke gudang data. "
               f"(Rejected: {len(errors)} error rule(s) failed; the file is quarantined and not merged.)")
    details = [f"File: {ref.get('file_name')}"] if ref.get("file_name") else []
    if ref.get("sha256"):
        details.append(f"SHA-256: {ref['sha256']}")
    if ref.get("submission_id") is not None:
        details.append(f"Submission: {ref['submission_id']}")
    if ref.get("rows") is not None:
        details.append(f"Baris (rows): {ref['rows']:,}")
    if ref.get("quarantine_key"):
        details.append(f"Karantina (quarantine key): {ref['quarantine_key']}")
    key = f"rejected:{ref['submission_id']}" if ref.get("submission_id") is not None else ""
    return Alert(kind="rejected", severity="error", province=province, province_name=province_name,
                 periode=ref["periode"], kode_kabkota=kode, kabkota_name=kabkota_name, summary=summary,
                 rules=[r.to_dict() for r in reasons], links=_links(links), details=details, dedup_key=key)


def warned_alert(ref: dict, warnings: Sequence[RuleOutcome], links: dict | None = None) -> Alert:
    """A file accepted with failed warning rules: it is merged; the office checks its correction list.

    ``ref`` as for :func:`rejected_alert`; one alert per submission (its dedup key).
    """
    province, kode = ref["province"], ref["kode_kabkota"]
    province_name, kabkota_name = names(province, kode)
    summary = (f"Extract {ref.get('file_name') or ''} diterima dengan {len(warnings)} peringatan; data digabung. "
               "Mohon periksa daftar koreksi. "
               f"(Accepted with {len(warnings)} warning(s) and merged; please check the correction list.)")
    details = [f"File: {ref.get('file_name')}"] if ref.get("file_name") else []
    if ref.get("submission_id") is not None:
        details.append(f"Submission: {ref['submission_id']}")
    if ref.get("rows") is not None:
        details.append(f"Baris (rows): {ref['rows']:,}")
    key = f"warned:{ref['submission_id']}" if ref.get("submission_id") is not None else ""
    return Alert(kind="warned", severity="warning", province=province, province_name=province_name,
                 periode=ref["periode"], kode_kabkota=kode, kabkota_name=kabkota_name, summary=summary,
                 rules=[r.to_dict() for r in warnings], links=_links(links), details=details, dedup_key=key)


def missing_alert(province: str, periode: str, kode_kabkota: str, deadline: date | str,
                  links: dict | None = None, details: list[str] | None = None) -> Alert:
    """No extract from ``kode_kabkota`` for ``periode`` by the province's deadline day."""
    province_name, kabkota_name = names(province, kode_kabkota)
    who = kabkota_name or kode_kabkota
    summary = (f"Belum ada extract dari {who} untuk periode {periode}; tenggat {deadline} sudah lewat. "
               f"(No extract for {periode} received by the deadline, {deadline}.)")
    rule = RuleOutcome(rule="submission_deadline", severity="error", count=0,
                       description=f"File diterima untuk periode {periode}: 0 (files received by {deadline}: 0).")
    return Alert(kind="missing", severity="error", province=province, province_name=province_name,
                 periode=periode, kode_kabkota=kode_kabkota, kabkota_name=kabkota_name, summary=summary,
                 rules=[rule.to_dict()], links=_links(links), details=list(details or []),
                 dedup_key=f"missing:{province}:{periode}:{kode_kabkota}")


def integrity_alert(province: str, periode: str, findings: Sequence[RuleOutcome], kode_kabkota: str | None = None,
                    links: dict | None = None, details: list[str] | None = None) -> Alert:
    """A warning: cross-kab/kota findings (one NIK, one programme, two kab/kota; one NIK, two KK).

    ``findings`` are rule outcomes like the validation's, with masked examples; the data stays merged.
    """
    province_name, kabkota_name = names(province, kode_kabkota)
    total = sum(f.count or 0 for f in findings)
    summary = (f"{len(findings)} jenis temuan integritas ({total:,} kasus) pada periode {periode}; "
               "data tetap digabung, mohon diperiksa. "
               f"({len(findings)} kinds of cross-kab/kota finding, {total:,} cases; "
               "the data stays merged, please check.)")
    return Alert(kind="integrity", severity="warning", province=province, province_name=province_name,
                 periode=periode, kode_kabkota=kode_kabkota, kabkota_name=kabkota_name, summary=summary,
                 rules=[f.to_dict() for f in findings],
                 links=_links(links), details=list(details or []))


def unlock_command(province: str, periode: str, kode_kabkota: str | None = None) -> str:
    """The CLI command that unlocks an approved month (or one kab/kota of it), for an alert to quote."""
    kabkota = f" --kabkota {kode_kabkota}" if kode_kabkota else ""
    return (f'python -m bansos.approve unlock --province {province} --periode {periode}{kabkota} '
            '--reason "..." --who NAMA')


def held_alert(province: str, periode: str, kode_kabkota: str, submission_id: int,
               approved_batch_id: int | None = None, links: dict | None = None) -> Alert:
    """A correction for an approved (locked) kab/kota-month: validated, archived, not merged; it waits for an unlock.

    One alert per held submission (its dedup key); names the kab/kota, the month and how to unlock, never the
    file's name (a file name can hold a NIK).
    """
    province_name, kabkota_name = names(province, kode_kabkota)
    who = kabkota_name or kode_kabkota
    summary = (f"Koreksi dari {who} untuk periode {periode} lolos validasi tetapi DITAHAN: bulan ini sudah "
               "disetujui dan terkunci, angka yang disetujui tetap berlaku. Buka kunci untuk memprosesnya. "
               f"(A valid correction for {periode} is held: the month is approved and locked; the approved "
               "figures stand. Unlock it to have the correction merged.)")
    rule = RuleOutcome(rule="month_locked", severity="warning", count=1,
                       description="Bulan sudah disetujui; koreksi menunggu buka kunci. "
                                   "(The month is approved; the correction waits for an unlock.)")
    details = [f"Submission: {submission_id}"]
    if approved_batch_id is not None:
        details.append(f"Batch yang disetujui (approved batch, stays loaded): {approved_batch_id}")
    details += [f"Buka kunci (unlock): {unlock_command(province, periode, kode_kabkota)}",
                f"Lalu jalankan ulang bulan {periode} (then re-run the month): the held correction is merged "
                "and the month needs approval again."]
    return Alert(kind="held", severity="warning", province=province, province_name=province_name,
                 periode=periode, kode_kabkota=kode_kabkota, kabkota_name=kabkota_name, summary=summary,
                 rules=[rule.to_dict()], links=_links(links), details=details,
                 dedup_key=f"held:{submission_id}")


def approval_overdue_alert(province: str, periode: str, waited: timedelta | float, run_url: str | None = None,
                           links: dict | None = None) -> Alert:
    """A province-month not approved within the province's ``approval_timeout_hours``: the figures stay
    provisional. Never approves anything; one alert per province-month.

    ``waited``: how long the request has waited (a ``timedelta`` or hours); ``run_url``: the run whose approval
    step waits (the approver answers there, under Required Actions, or through the REST API).
    """
    hours = waited.total_seconds() / 3600 if isinstance(waited, timedelta) else float(waited)
    days = hours / 24
    province_name, _ = names(province, None)
    summary = (f"Periode {periode} belum disetujui setelah {days:.1f} hari ({hours:.0f} jam); angkanya tetap "
               "sementara (provisional) dan tidak disetujui otomatis. "
               f"(Month {periode} not approved after {days:.1f} days; its figures stay provisional, "
               "never approved automatically.)")
    rule = RuleOutcome(rule="approval_timeout", severity="warning", count=1,
                       description=f"Menunggu persetujuan {hours:.0f} jam (waiting for approval {hours:.0f} h).")
    out_links = dict(links or {})
    if run_url:
        out_links.setdefault("Airflow run (Required Actions)", run_url)
    return Alert(kind="approval_overdue", severity="warning", province=province, province_name=province_name,
                 periode=periode, summary=summary, rules=[rule.to_dict()], links=_links(out_links),
                 details=["Setujui atau tolak di Airflow (Required Actions) atau lewat REST API; "
                          "approve or reject in Airflow (Required Actions) or through the REST API."],
                 dedup_key=f"approval_overdue:{province}:{periode}")
