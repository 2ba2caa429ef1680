"""Release waits for the lane's checks: documents for yellow, scan or examination for red."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from builders import valid_declaration_content
from landport.declarations.model import CustomsDeclaration, DeclarationStatus
from landport.inspection.model import (
    InspectionKind,
    InspectionRecord,
    InspectionResult,
    check_record,
    release_blockers,
)
from landport.inspection.passport import build_passport, passport_digest

S = DeclarationStatus
K = InspectionKind
R = InspectionResult
T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
IMAGE = "a" * 64


def declaration(status: DeclarationStatus) -> CustomsDeclaration:
    return CustomsDeclaration(
        "d1",
        "91330100716105852F",
        "zhang.wei",
        valid_declaration_content(),
        status,
        T0,
        T0,
        lane="red",
    )


def record(
    kind: InspectionKind, result: InspectionResult, minute: int = 0, **kw: str
) -> InspectionRecord:
    return InspectionRecord(
        "d1",
        kind,
        result,
        T0 + timedelta(minutes=minute),
        T0 + timedelta(minutes=minute + 2),
        "officer",
        **kw,
    )


def codes(d: CustomsDeclaration, records: list[InspectionRecord]) -> list[str]:
    return [b.code for b in release_blockers(d, records)]


def test_yellow_lane_needs_a_conform_document_check() -> None:
    d = declaration(S.DOCUMENT_CHECK)
    assert codes(d, []) == ["document_check_missing"]
    assert codes(d, [record(K.DOCUMENT_CHECK, R.DISCREPANCY)]) == ["document_discrepancy"]
    assert codes(d, [record(K.DOCUMENT_CHECK, R.CONFORM)]) == []


def test_red_lane_needs_a_scan_or_an_examination() -> None:
    d = declaration(S.EXAMINATION)
    assert codes(d, []) == ["examination_missing"]
    assert codes(d, [record(K.SCAN, R.CLEAR, image_sha256=IMAGE)]) == []


def test_a_suspicious_scan_needs_a_later_physical_examination() -> None:
    d = declaration(S.EXAMINATION)
    scan = record(K.SCAN, R.SUSPICIOUS, 10, image_sha256=IMAGE)
    earlier_exam = record(K.PHYSICAL_EXAMINATION, R.CONFORM, 0, findings="ok")
    assert codes(d, [earlier_exam, scan]) == ["physical_examination_required"]
    later_exam = record(K.PHYSICAL_EXAMINATION, R.CONFORM, 20, findings="ok")
    assert codes(d, [scan, later_exam]) == []


def test_a_held_declaration_is_judged_by_the_stage_it_was_held_in() -> None:
    d = declaration(S.EXAMINATION)
    d.move_to(S.HELD, at=T0, actor="officer")
    assert codes(d, []) == ["examination_missing"]


def test_records_must_be_consistent() -> None:
    bad = InspectionRecord("d1", K.SCAN, R.CONFORM, T0, T0 - timedelta(minutes=1), "officer")
    assert {v.code for v in check_record(bad)} == {
        "result_not_allowed_for_kind",
        "finished_before_started",
        "image_digest_required",
    }
    (wrong,) = [v for v in check_record(bad) if v.code == "result_not_allowed_for_kind"]
    assert wrong.message_zh == "机检的结果只能是：图像未见异常（clear）、图像可疑（suspicious）"
    assert wrong.message_en == "a scan result must be one of: clear, suspicious"
    no_findings = record(K.PHYSICAL_EXAMINATION, R.CONFORM)
    assert [v.code for v in check_record(no_findings)] == ["findings_required"]


def test_a_record_must_have_happened_since_the_declaration_and_within_a_day() -> None:
    declared = T0 - timedelta(hours=2)
    ahead = record(K.DOCUMENT_CHECK, R.CONFORM, 60 * 24 * 365 * 4)  # four years ahead
    assert [v.code for v in check_record(ahead, now=T0, declared_at=declared)] == [
        "finished_in_future"
    ]
    skewed = record(K.DOCUMENT_CHECK, R.CONFORM, 3)  # a device clock a few minutes fast
    assert check_record(skewed, now=T0, declared_at=declared) == []
    before = record(K.DOCUMENT_CHECK, R.CONFORM, -60 * 24 * 365)
    (early,) = check_record(before, now=T0, declared_at=declared)
    assert (early.field, early.code) == ("started_at", "started_before_declared")
    assert early.message_zh == "开始时间早于报关单的申报时间"
    month = InspectionRecord(
        "d1", K.DOCUMENT_CHECK, R.CONFORM, T0 - timedelta(days=30), T0, "officer"
    )
    (long,) = check_record(month, now=T0, declared_at=T0 - timedelta(days=31))
    assert (long.field, long.code) == ("finished_at", "inspection_too_long")


def test_the_passport_digest_changes_with_any_inspection_detail() -> None:
    d = declaration(S.RELEASED)
    scan = record(K.SCAN, R.CLEAR, image_sha256=IMAGE)
    digest = passport_digest(build_passport(d, [scan], T0))
    assert digest == passport_digest(build_passport(d, [scan], T0))
    other_image = record(K.SCAN, R.CLEAR, image_sha256="b" * 64)
    assert digest != passport_digest(build_passport(d, [other_image], T0))
