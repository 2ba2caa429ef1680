"""Agency: a consignor authorises a customs broker (报关企业) to declare on its behalf.

In China most export declarations are lodged by a licensed customs broker holding the
consignor's written authorisation (代理报关委托书). A port administrator records the
authorisation (and its revocation); a declarant of the broker may then lodge, submit and
cancel declarations whose consignor is the authorising enterprise, on every Beijing date the
authorisation covers. Both commands are audited.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from landport.declarations.ports import ClearanceContext, UnitOfWork
from landport.enterprises.model import Actor, AgencyAuthorisation, Role
from landport.shared.clock import FIRST_DAY, LAST_DAY
from landport.shared.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    Violation,
    required_reason,
)

REASON_MAX = 500


@dataclass(frozen=True)
class RecordAgencyAuthorisation:
    """The consignor authorises the agent (a customs broker) from valid_from to valid_to."""

    actor: Actor
    consignor_uscc: str
    agent_uscc: str
    valid_from: date
    valid_to: date


@dataclass(frozen=True)
class RevokeAgencyAuthorisation:
    actor: Actor
    authorisation_id: str
    reason: str


def authorised_on(authorisations: Iterable[AgencyAuthorisation], day: date) -> bool:
    """Whether any of the authorisations (of one consignor for one broker) covers ``day``."""
    return any(a.covers(day) for a in authorisations)


def authorisation_problems(
    consignor_uscc: str,
    agent_uscc: str,
    valid_from: date,
    valid_to: date,
    registered: Iterable[str],
) -> list[Violation]:
    """Every broken rule of a new authorisation; ``registered``: the USCCs known here."""
    known = set(registered)
    problems: list[Violation] = []
    for field, uscc, zh in (
        ("consignor_uscc", consignor_uscc, "委托方（境内发货人）"),
        ("agent_uscc", agent_uscc, "受托报关企业"),
    ):
        if uscc not in known:
            problems.append(
                Violation(
                    field,
                    "enterprise_not_registered",
                    f"{field}: enterprise {uscc} is not registered at this port",
                    f"{field}（{zh}）错误：企业 {uscc} 未在本关区备案",
                )
            )
    if consignor_uscc == agent_uscc:
        problems.append(
            Violation(
                "agent_uscc",
                "agent_is_consignor",
                "agent_uscc: an enterprise declares for itself without an authorisation; "
                "the agent must be another enterprise",
                "agent_uscc（受托报关企业）错误：企业为自己申报无需委托，受托方须为其他企业",
            )
        )
    for field, day in (("valid_from", valid_from), ("valid_to", valid_to)):
        if not FIRST_DAY <= day <= LAST_DAY:
            problems.append(
                Violation(
                    field,
                    "date_out_of_range",
                    f"{field} must be a date in the years {FIRST_DAY.year} to {LAST_DAY.year}",
                    f"{field} 须为 {FIRST_DAY.year} 年至 {LAST_DAY.year} 年之间的日期",
                )
            )
    if valid_to < valid_from:
        problems.append(
            Violation(
                "valid_to",
                "valid_to_before_valid_from",
                f"valid_to ({valid_to.isoformat()}) must not be before valid_from "
                f"({valid_from.isoformat()})",
                f"valid_to（委托截止日期 {valid_to.isoformat()}）不得早于 valid_from"
                f"（委托起始日期 {valid_from.isoformat()}）",
            )
        )
    return problems


def overlap_problems(
    existing: Iterable[AgencyAuthorisation], valid_from: date, valid_to: date
) -> list[Violation]:
    """An unrevoked authorisation of the pair that shares a day with the new one."""
    return [
        Violation(
            "valid_from",
            "overlaps_authorisation",
            f"authorisation {a.id} of this consignor and broker already covers "
            f"{a.valid_from.isoformat()} to {a.valid_to.isoformat()}: revoke it first, or "
            f"start the renewal on {(a.valid_to + timedelta(days=1)).isoformat()}",
            f"该委托方与报关企业已有代理报关委托 {a.id}（{a.valid_from.isoformat()} 至 "
            f"{a.valid_to.isoformat()}）：请先撤销，或将续期起始日期定为 "
            f"{(a.valid_to + timedelta(days=1)).isoformat()}",
        )
        for a in existing
        if a.revoked_at is None and a.valid_from <= valid_to and valid_from <= a.valid_to
    ]


def authorisation_snapshot(a: AgencyAuthorisation) -> dict[str, str | None]:
    """What the audit log digests, and what the API and the CLI show."""
    return {
        "id": a.id,
        "consignor_uscc": a.consignor_uscc,
        "agent_uscc": a.agent_uscc,
        "valid_from": a.valid_from.isoformat(),
        "valid_to": a.valid_to.isoformat(),
        "recorded_by": a.recorded_by,
        "recorded_at": a.recorded_at.isoformat(),
        "revoked_at": a.revoked_at.isoformat() if a.revoked_at else None,
        "revoked_by": a.revoked_by,
        "revocation_reason": a.revocation_reason,
    }


def _require_admin(actor: Actor) -> None:
    if actor.role is not Role.PORT_ADMIN:
        raise Forbidden(
            "only a port administrator may record or revoke an agency authorisation",
            "只有口岸管理员可以登记或撤销代理报关委托",
        )


def record_agency_authorisation(
    cmd: RecordAgencyAuthorisation, uow: UnitOfWork, ctx: ClearanceContext
) -> AgencyAuthorisation:
    """Audited. Several authorisations of one pair may follow each other (a renewal), never
    overlap: a double submission records one, and revoking the one in force stops the broker
    (an overlapping twin would have gone on covering it)."""
    _require_admin(cmd.actor)
    registered = [
        uscc for uscc in {cmd.consignor_uscc, cmd.agent_uscc} if uow.enterprises.get(uscc)
    ]
    problems = authorisation_problems(
        cmd.consignor_uscc, cmd.agent_uscc, cmd.valid_from, cmd.valid_to, registered
    )
    if not problems:
        existing = uow.authorisations.between(cmd.consignor_uscc, cmd.agent_uscc, for_update=True)
        problems = overlap_problems(existing, cmd.valid_from, cmd.valid_to)
    if problems:
        raise InvalidInput(problems)
    authorisation = AgencyAuthorisation(
        id=ctx.new_id(),
        consignor_uscc=cmd.consignor_uscc,
        agent_uscc=cmd.agent_uscc,
        valid_from=cmd.valid_from,
        valid_to=cmd.valid_to,
        recorded_by=cmd.actor.username,
        recorded_at=ctx.clock.now(),
    )
    uow.authorisations.add(authorisation)
    uow.audit.append(
        actor=cmd.actor.username,
        action="agency_authorisation.recorded",
        entity_type="agency_authorisation",
        entity_id=authorisation.id,
        before=None,
        after=authorisation_snapshot(authorisation),
    )
    return authorisation


def revoke_agency_authorisation(
    cmd: RevokeAgencyAuthorisation, uow: UnitOfWork, ctx: ClearanceContext
) -> AgencyAuthorisation:
    """Audited; the broker may no longer declare for the consignor under it from now on.
    Declarations it lodged stay as they are (and stay visible to it)."""
    _require_admin(cmd.actor)
    reason = required_reason(cmd.reason, max_len=REASON_MAX)
    authorisation = uow.authorisations.get(cmd.authorisation_id)
    if authorisation is None:
        raise NotFound(
            f"agency authorisation {cmd.authorisation_id} not found",
            f"未找到代理报关委托 {cmd.authorisation_id}",
        )
    if authorisation.revoked_at is not None:
        raise Conflict(
            f"agency authorisation {authorisation.id} was already revoked",
            f"代理报关委托 {authorisation.id} 已被撤销",
        )
    before = authorisation_snapshot(authorisation)
    authorisation.revoked_at = ctx.clock.now()
    authorisation.revoked_by = cmd.actor.username
    authorisation.revocation_reason = reason
    uow.authorisations.save_revocation(authorisation)
    uow.audit.append(
        actor=cmd.actor.username,
        action="agency_authorisation.revoked",
        entity_type="agency_authorisation",
        entity_id=authorisation.id,
        before=before,
        after=authorisation_snapshot(authorisation),
        detail=reason,
    )
    return authorisation
