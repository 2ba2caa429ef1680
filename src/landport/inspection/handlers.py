"""Use cases of the customs officer: record checks, escalate, release, hold, reject."""

from __future__ import annotations

from datetime import datetime

from landport.declarations.access import get_visible, snapshot
from landport.declarations.commands import (
    DecideDeclaration,
    EscalateToExamination,
    RecordInspection,
)
from landport.declarations.events import DeclarationReleased, DeclarationStatusChanged
from landport.declarations.model import CustomsDeclaration, DeclarationStatus
from landport.declarations.ports import ClearanceContext, UnitOfWork
from landport.enterprises.model import Actor, Role
from landport.inspection.model import (
    STAGE_OF,
    InspectionKind,
    InspectionRecord,
    InspectionResult,
    check_record,
    release_blockers,
)
from landport.inspection.passport import build_passport, passport_digest
from landport.shared.errors import Conflict, Forbidden, InvalidInput, Violation

S = DeclarationStatus


def _require_officer(actor: Actor) -> None:
    if actor.role is not Role.CUSTOMS_OFFICER:
        raise Forbidden("only a customs officer may do this", "只有海关关员可以执行此操作")


def release_now(
    declaration: CustomsDeclaration,
    uow: UnitOfWork,
    *,
    at: datetime,
    actor: str,
    reason: str | None,
) -> None:
    """Release the goods and seal the inspection passport into the declaration."""
    # Straight from selectivity (green, blue) there can be no inspection records yet.
    assessed = declaration.status is S.ASSESSED
    records = [] if assessed else uow.inspections.for_declaration(declaration.id)
    declaration.move_to(S.RELEASED, at=at, actor=actor, reason=reason)
    declaration.decision_reason = reason
    declaration.passport_digest = passport_digest(build_passport(declaration, records, at))
    uow.events.append(DeclarationReleased(declaration.id, declaration.passport_digest, at))


def record_inspection(
    cmd: RecordInspection, uow: UnitOfWork, ctx: ClearanceContext
) -> InspectionRecord:
    """Keep what the officer found; the record must belong to the declaration's current stage."""
    _require_officer(cmd.actor)
    declaration = get_visible(uow, cmd.actor, cmd.declaration_id)
    problems: list[Violation] = []
    try:
        kind = InspectionKind(cmd.kind)
        result = InspectionResult(cmd.result)
    except ValueError:
        problems.append(
            Violation(
                "kind",
                "unknown_kind_or_result",
                "kind must be document_check, scan or physical_examination; "
                "result conform, discrepancy, clear or suspicious",
                "检查类型或结果无效",
            )
        )
        raise InvalidInput(problems) from None
    record = InspectionRecord(
        declaration_id=declaration.id,
        kind=kind,
        result=result,
        started_at=cmd.started_at,
        finished_at=cmd.finished_at,
        officer=cmd.actor.username,
        findings=cmd.findings,
        image_sha256=(cmd.image_sha256 or "").lower() or None,
        equipment_id=cmd.equipment_id,
    )
    problems = check_record(record, now=ctx.clock.now(), declared_at=declaration.created_at)
    if problems:
        raise InvalidInput(problems)
    stage = STAGE_OF[kind]
    if declaration.status is not stage:
        raise Conflict(
            f"a {kind.value} can only be recorded while the declaration is in {stage.value}; "
            f"it is {declaration.status.value}",
            f"报关单当前状态为 {declaration.status.value}，不能录入该检查",
        )
    before = snapshot(declaration)
    uow.inspections.add(record)
    declaration.updated_at = ctx.clock.now()
    uow.declarations.save(declaration)  # bumps the version: a concurrent decision loses
    uow.audit.append(
        actor=cmd.actor.username,
        action=f"inspection.{kind.value}",
        entity_type="declaration",
        entity_id=declaration.id,
        before=before,
        after=record.as_dict(),
        detail=result.value,
    )
    return record


def escalate_to_examination(
    cmd: EscalateToExamination, uow: UnitOfWork, ctx: ClearanceContext
) -> CustomsDeclaration:
    """A document check that raises doubts sends the goods to examination."""
    _require_officer(cmd.actor)
    declaration = get_visible(uow, cmd.actor, cmd.declaration_id)
    before = snapshot(declaration)
    declaration.move_to(
        S.EXAMINATION, at=ctx.clock.now(), actor=cmd.actor.username, reason=cmd.reason
    )
    _save_and_audit(declaration, before, uow, cmd.actor, "declaration.escalated", cmd.reason)
    return declaration


def decide_declaration(
    cmd: DecideDeclaration, uow: UnitOfWork, ctx: ClearanceContext
) -> CustomsDeclaration:
    """Release, hold, reject or lift a hold; each decision names its reason."""
    _require_officer(cmd.actor)
    declaration = get_visible(uow, cmd.actor, cmd.declaration_id)
    before = snapshot(declaration)
    now = ctx.clock.now()
    reason = (cmd.reason or "").strip() or None
    if cmd.decision in {"hold", "reject"} and reason is None:
        raise InvalidInput(
            [
                Violation(
                    "reason",
                    "reason_required",
                    f"a {cmd.decision} needs a reason",
                    "挂起或退单须填写原因",
                )
            ]
        )
    if cmd.decision == "release":
        if declaration.status not in {S.DOCUMENT_CHECK, S.EXAMINATION, S.HELD}:
            # Let the state machine word the refusal (e.g. released twice).
            declaration.move_to(S.RELEASED, at=now, actor=cmd.actor.username)
        blockers = release_blockers(declaration, uow.inspections.for_declaration(declaration.id))
        if blockers:
            raise ReleaseBlocked(blockers)
        release_now(declaration, uow, at=now, actor=cmd.actor.username, reason=reason)
    elif cmd.decision == "hold":
        declaration.move_to(S.HELD, at=now, actor=cmd.actor.username, reason=reason)
    elif cmd.decision == "reject":
        declaration.move_to(S.REJECTED, at=now, actor=cmd.actor.username, reason=reason)
    elif cmd.decision == "lift_hold":
        if declaration.status is not S.HELD or declaration.held_from is None:
            raise Conflict(
                "only a held declaration can have its hold lifted", "只有挂起的报关单可以解除挂起"
            )
        if declaration.held_from is S.RELEASED:
            # Nothing can be inspected while held, so the passport the e-lock carries stays
            # valid: lifting the hold restores the release, it does not re-release.
            declaration.move_to(S.RELEASED, at=now, actor=cmd.actor.username, reason=reason)
        else:
            declaration.move_to(
                declaration.held_from, at=now, actor=cmd.actor.username, reason=reason
            )
    else:
        raise InvalidInput(
            [
                Violation(
                    "decision",
                    "unknown_decision",
                    "decision must be release, hold, reject or lift_hold",
                    "决定只能是放行、挂起、退单或解除挂起",
                )
            ]
        )
    declaration.decision_reason = reason
    uow.events.append(DeclarationStatusChanged(declaration.id, declaration.status.value, now))
    _save_and_audit(declaration, before, uow, cmd.actor, f"declaration.{cmd.decision}", reason)
    return declaration


class ReleaseBlocked(Conflict):
    """Release refused: every unmet condition is listed."""

    code = "release_blocked"

    def __init__(self, blockers: list[Violation]) -> None:
        super().__init__(
            "release refused: " + "; ".join(b.message_en for b in blockers),
            "不能放行：" + "；".join(b.message_zh for b in blockers),
        )
        self.blockers = blockers


def _save_and_audit(
    declaration: CustomsDeclaration,
    before: dict[str, object],
    uow: UnitOfWork,
    actor: Actor,
    action: str,
    reason: str | None,
) -> None:
    uow.declarations.save(declaration)
    uow.audit.append(
        actor=actor.username,
        action=action,
        entity_type="declaration",
        entity_id=declaration.id,
        before=before,
        after=snapshot(declaration),
        detail=reason or "",
    )
