"""Inspection records and the rules an officer must satisfy before release."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from landport.declarations.model import CustomsDeclaration, DeclarationStatus
from landport.shared.errors import Violation


class InspectionKind(StrEnum):
    """单证审核, 机检 (non-intrusive inspection), 人工查验."""

    DOCUMENT_CHECK = "document_check"
    SCAN = "scan"
    PHYSICAL_EXAMINATION = "physical_examination"


class InspectionResult(StrEnum):
    CONFORM = "conform"  # documents or goods match the declaration
    DISCREPANCY = "discrepancy"
    CLEAR = "clear"  # scan image shows nothing suspicious
    SUSPICIOUS = "suspicious"


#: How a Chinese officer names each kind of check and its result.
KIND_ZH = {
    InspectionKind.DOCUMENT_CHECK: "单证审核",
    InspectionKind.SCAN: "机检",
    InspectionKind.PHYSICAL_EXAMINATION: "人工查验",
}
RESULT_ZH = {
    InspectionResult.CONFORM: "相符",
    InspectionResult.DISCREPANCY: "不符",
    InspectionResult.CLEAR: "图像未见异常",
    InspectionResult.SUSPICIOUS: "图像可疑",
}


ALLOWED_RESULTS: dict[InspectionKind, frozenset[InspectionResult]] = {
    InspectionKind.DOCUMENT_CHECK: frozenset(
        {InspectionResult.CONFORM, InspectionResult.DISCREPANCY}
    ),
    InspectionKind.SCAN: frozenset({InspectionResult.CLEAR, InspectionResult.SUSPICIOUS}),
    InspectionKind.PHYSICAL_EXAMINATION: frozenset(
        {InspectionResult.CONFORM, InspectionResult.DISCREPANCY}
    ),
}

#: Which stage of the lifecycle each kind of inspection belongs to.
STAGE_OF: dict[InspectionKind, DeclarationStatus] = {
    InspectionKind.DOCUMENT_CHECK: DeclarationStatus.DOCUMENT_CHECK,
    InspectionKind.SCAN: DeclarationStatus.EXAMINATION,
    InspectionKind.PHYSICAL_EXAMINATION: DeclarationStatus.EXAMINATION,
}


@dataclass(frozen=True, slots=True)
class InspectionRecord:
    """What an officer (or a scanner console) recorded about one check of the goods."""

    declaration_id: str
    kind: InspectionKind
    result: InspectionResult
    started_at: datetime
    finished_at: datetime
    officer: str
    findings: str | None = None
    image_sha256: str | None = None
    equipment_id: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "kind": self.kind.value,
            "result": self.result.value,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(),
            "officer": self.officer,
            "findings": self.findings,
            "image_sha256": self.image_sha256,
            "equipment_id": self.equipment_id,
        }


#: How far an officer's device clock may be off the platform's (a record finished "in two
#: minutes" is a clock set wrong; one finished next year is not an inspection).
CLOCK_TOLERANCE = timedelta(minutes=5)
#: The longest an inspection may take: a physical examination of a full container is hours,
#: not days (a month-long "scan" is a typing error, and release would rest on it).
LONGEST_INSPECTION = timedelta(hours=24)


def check_record(
    record: InspectionRecord,
    *,
    now: datetime | None = None,
    declared_at: datetime | None = None,
) -> list[Violation]:
    """A record must be internally consistent before it is accepted, and, given the clock and
    when the declaration was made, must have happened: release and the passport rest on it."""
    problems: list[Violation] = []
    problems += _check_times(record, now, declared_at)
    if record.result not in ALLOWED_RESULTS[record.kind]:
        allowed = sorted(ALLOWED_RESULTS[record.kind], key=lambda r: r.value)
        problems.append(
            Violation(
                "result",
                "result_not_allowed_for_kind",
                f"a {record.kind.value} result must be one of: "
                + ", ".join(r.value for r in allowed),
                f"{KIND_ZH[record.kind]}的结果只能是："
                + "、".join(f"{RESULT_ZH[r]}（{r.value}）" for r in allowed),
            )
        )
    if record.kind is InspectionKind.SCAN:
        digest = record.image_sha256 or ""
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            problems.append(
                Violation(
                    "image_sha256",
                    "image_digest_required",
                    "a scan needs the SHA-256 of its image file as 64 lower-case hex characters",
                    "机检记录须附图像文件的 SHA-256（64 位小写十六进制）",
                )
            )
    if record.kind is InspectionKind.PHYSICAL_EXAMINATION and not (record.findings or "").strip():
        problems.append(
            Violation(
                "findings",
                "findings_required",
                "a physical examination needs its findings written down",
                "人工查验须填写查验结果描述",
            )
        )
    return problems


def _check_times(
    record: InspectionRecord, now: datetime | None, declared_at: datetime | None
) -> list[Violation]:
    started, finished = record.started_at, record.finished_at
    problems = []
    if finished < started:
        problems.append(
            Violation(
                "finished_at",
                "finished_before_started",
                "finished_at must not be earlier than started_at",
                "结束时间不能早于开始时间",
            )
        )
    elif finished - started > LONGEST_INSPECTION:
        problems.append(
            Violation(
                "finished_at",
                "inspection_too_long",
                "an inspection lasts at most 24 hours from started_at to finished_at",
                "一次检查从开始到结束不能超过 24 小时",
            )
        )
    if now is not None and finished > now + CLOCK_TOLERANCE:
        problems.append(
            Violation(
                "finished_at",
                "finished_in_future",
                "finished_at is later than the platform's clock: record an inspection once done",
                "结束时间晚于系统当前时间：请在检查完成后录入",
            )
        )
    if declared_at is not None and started < declared_at - CLOCK_TOLERANCE:
        problems.append(
            Violation(
                "started_at",
                "started_before_declared",
                "started_at is earlier than the declaration itself",
                "开始时间早于报关单的申报时间",
            )
        )
    return problems


def release_blockers(
    declaration: CustomsDeclaration, records: Sequence[InspectionRecord]
) -> list[Violation]:
    """Why the goods may not be released yet: the lane's checks must be done and clean."""
    stage = declaration.held_from if declaration.status is DeclarationStatus.HELD else None
    stage = stage or declaration.status
    docs = [r for r in records if r.kind is InspectionKind.DOCUMENT_CHECK]
    scans = [r for r in records if r.kind is InspectionKind.SCAN]
    exams = [r for r in records if r.kind is InspectionKind.PHYSICAL_EXAMINATION]
    blockers: list[Violation] = []
    if stage is DeclarationStatus.DOCUMENT_CHECK:
        if not docs:
            blockers.append(
                _blocker(
                    "document_check_missing",
                    "no document check has been recorded",
                    "尚未录入单证审核结果",
                )
            )
        elif docs[-1].result is InspectionResult.DISCREPANCY:
            blockers.append(
                _blocker(
                    "document_discrepancy",
                    "the last document check found a discrepancy: "
                    "escalate to examination or reject",
                    "最近一次单证审核发现不符：请转查验或退单",
                )
            )
    if stage is DeclarationStatus.EXAMINATION:
        if not scans and not exams:
            blockers.append(
                _blocker(
                    "examination_missing",
                    "no scan or physical examination has been recorded",
                    "尚未录入机检或人工查验结果",
                )
            )
        suspicious = [s for s in scans if s.result is InspectionResult.SUSPICIOUS]
        if suspicious and not any(e.started_at >= suspicious[-1].started_at for e in exams):
            blockers.append(
                _blocker(
                    "physical_examination_required",
                    "the scan image is suspicious: a physical examination must follow it",
                    "机检图像可疑：须进行人工查验",
                )
            )
        if exams and exams[-1].result is InspectionResult.DISCREPANCY:
            blockers.append(
                _blocker(
                    "examination_discrepancy",
                    "the physical examination found a discrepancy: hold or reject",
                    "人工查验发现货证不符：请挂起或退单",
                )
            )
    return blockers


def _blocker(code: str, en: str, zh: str) -> Violation:
    return Violation("status", code, en, zh)
