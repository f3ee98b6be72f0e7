"""What an alert says, independent of how it travels: one dataclass every channel renders.

An alert names the province, the kab/kota (or none, for a province-wide alert) and the period,
the rules that failed with their counts and masked examples, and links to the evidence (Data Docs,
the Airflow log, the quarantined file). It never carries a name or a birth date; identifiers in
``examples`` are masked upstream and again by :mod:`bansos.alert.redact` when rendered.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

KINDS = ("rejected", "warned", "missing", "task_failed", "run_failed", "integrity", "held", "approval_overdue")
SEVERITIES = ("error", "warning")

# Titles in the office's language, with the English meaning beside, as the rule descriptions do.
TITLES = {
    "rejected": "Extract DITOLAK (extract rejected)",
    "warned": "Extract DITERIMA dengan peringatan (extract accepted with warnings)",
    "missing": "Extract BELUM DITERIMA (no extract by the deadline)",
    "task_failed": "Task GAGAL (task failed after its retries)",
    "run_failed": "Run GAGAL (a run of the pipeline failed)",
    "integrity": "Temuan integritas lintas kab/kota (cross-kab/kota integrity finding)",
    "held": "Koreksi DITAHAN: bulan terkunci (correction held: month locked)",
    "approval_overdue": "Persetujuan TERLAMBAT (month not approved in time)",
}
SHORT_TITLES = {"rejected": "DITOLAK", "warned": "PERINGATAN", "missing": "BELUM DITERIMA", "task_failed": "TASK GAGAL",
                "run_failed": "RUN GAGAL", "integrity": "PERINGATAN INTEGRITAS",
                "held": "DITAHAN", "approval_overdue": "BELUM DISETUJUI"}


@dataclass
class Alert:
    kind: str
    severity: str
    province: str
    province_name: str
    periode: str | None
    kode_kabkota: str | None = None  # None: the alert is about the whole province
    kabkota_name: str | None = None
    summary: str = ""
    rules: list[dict] = field(default_factory=list)  # {"rule","severity","count","description","examples"}
    links: dict[str, str] = field(default_factory=dict)  # label -> URL or URI
    details: list[str] = field(default_factory=list)
    dedup_key: str = ""  # the event it reports (bansos.alert.ledger): the same key is one alert; "" = its content

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown alert kind {self.kind!r}; expected one of {', '.join(KINDS)}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown alert severity {self.severity!r}; expected error or warning")

    @property
    def title(self) -> str:
        return TITLES[self.kind]

    @property
    def short_title(self) -> str:
        return SHORT_TITLES[self.kind]

    @property
    def where(self) -> str:
        """``Kota Batam (21.71), Provinsi Kepulauan Riau (21)`` or the province alone."""
        province = f"Provinsi {self.province_name} ({self.province})" if self.province_name else self.province
        if not self.kode_kabkota:
            return f"{province}, seluruh kab/kota (province-wide)"
        kabkota = f"{self.kabkota_name} ({self.kode_kabkota})" if self.kabkota_name else self.kode_kabkota
        return f"{kabkota}, {province}"

    def to_dict(self) -> dict:
        return asdict(self)
