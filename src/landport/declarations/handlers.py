"""Use cases of the declarant: lodge, submit (number, declare, assess) and cancel."""

from __future__ import annotations

from landport.declarations.access import get_actionable, snapshot
from landport.declarations.agent import check_as_declarant
from landport.declarations.commands import CancelDeclaration, DeclareExport, SubmitDeclaration
from landport.declarations.events import DeclarationAssessed, DeclarationLodged
from landport.declarations.model import CustomsDeclaration, DeclarationStatus, StatusChange
from landport.declarations.ports import ClearanceContext, UnitOfWork
from landport.declarations.validation import value_band_breaches
from landport.enterprises.model import Actor, Enterprise, Role
from landport.inspection.handlers import release_now
from landport.risk.capacity import RateRequest, requested_red_rate
from landport.risk.engine import assess
from landport.risk.model import RiskFacts, SelectivityLane
from landport.shared.clock import BEIJING, beijing_date
from landport.shared.errors import Forbidden, InvalidInput, Violation

S = DeclarationStatus


def declare_export(
    cmd: DeclareExport, uow: UnitOfWork, ctx: ClearanceContext
) -> CustomsDeclaration:
    """Validate every rule at once; an accepted declaration is kept as a draft (or submitted)."""
    if cmd.actor.role is not Role.DECLARANT:
        raise Forbidden("only a declarant may lodge a declaration", "只有申报人可以录入报关单")
    # A broker's declarant may lodge for a client that authorised the broker: the agent is
    # the declarant's own enterprise, never taken from the payload.
    content, problems, agent_uscc = check_as_declarant(
        cmd.payload,
        ctx.catalog,
        actor=cmd.actor,
        authorisations=uow.authorisations.between,
        today=beijing_date(ctx.clock.now()),
    )
    if (
        content is not None
        and uow.enterprises.get(content.consignor_uscc) is None
        and not any(p.field == "consignor_uscc" for p in problems)
    ):
        problems.append(
            Violation(
                "consignor_uscc",
                "enterprise_not_registered",
                "the consignor is not registered with customs at this port",
                "发货人未在本关区备案",
            )
        )
    if content is None or any(p.severity == "error" for p in problems):
        raise InvalidInput(problems)
    now = ctx.clock.now()
    declaration = CustomsDeclaration(
        id=ctx.new_id(),
        enterprise_uscc=content.consignor_uscc,
        declarant=cmd.actor.username,
        content=content,
        status=S.DRAFT,
        created_at=now,
        updated_at=now,
        warnings=[p.as_dict() for p in problems],
        declaring_agent_uscc=agent_uscc,
    )
    declaration.history.append(StatusChange(S.DRAFT, now, cmd.actor.username))
    uow.audit.append(
        actor=cmd.actor.username,
        action="declaration.lodged",
        entity_type="declaration",
        entity_id=declaration.id,
        before=None,
        after=snapshot(declaration),
    )
    uow.events.append(
        DeclarationLodged(
            declaration.id, declaration.enterprise_uscc, now, declaration.declaring_agent_uscc
        )
    )
    if cmd.submit:
        # Lodged and submitted in one request: the row is written once, in its final state.
        _submit(declaration, cmd.actor, uow, ctx, random_red_rate=None)
    uow.declarations.add(declaration)
    return declaration


def submit_declaration(
    cmd: SubmitDeclaration, uow: UnitOfWork, ctx: ClearanceContext
) -> CustomsDeclaration:
    """Number the declaration, declare it, and let the selectivity engine pick its lane."""
    if cmd.actor.role is not Role.DECLARANT:
        raise Forbidden("only a declarant may submit a declaration", "只有申报人可以申报")
    declaration = get_actionable(uow, cmd.actor, cmd.declaration_id, beijing_date(ctx.clock.now()))
    _submit(declaration, cmd.actor, uow, ctx, random_red_rate=cmd.random_red_rate)
    uow.declarations.save(declaration)
    return declaration


def _submit(
    declaration: CustomsDeclaration,
    actor: Actor,
    uow: UnitOfWork,
    ctx: ClearanceContext,
    *,
    random_red_rate: float | None,
) -> None:
    before = snapshot(declaration)
    now = ctx.clock.now()
    declaration.move_to(S.DECLARED, at=now, actor=actor.username)
    enterprise = uow.enterprises.get(declaration.enterprise_uscc)
    content = declaration.content
    facts = RiskFacts(
        declaration_id=declaration.id,
        trade_mode=content.trade_mode,
        consignor_uscc=content.consignor_uscc,
        enterprise_rating=enterprise.rating.value if enterprise else "general",
        first_time_exporter=first_time_exporter(uow, enterprise, declaration.enterprise_uscc),
        exit_port=content.exit_port,
        destination_country=content.destination_country,
        origin_provinces=tuple(sorted({i.origin_province for i in content.items})),
        hs_codes=content.hs_codes,
        value_band_breaches=value_band_breaches(content, ctx.catalog),
        declarant=declaration.declarant,
        vehicle_plate=content.vehicle_plate,
        container_numbers=tuple(c.number for c in content.containers),
    )
    version = uow.rulesets.current_version()
    ruleset = ctx.rulesets.get(version, lambda: uow.rulesets.get(version))
    capacity: RateRequest | None = None
    if random_red_rate is None and ctx.scan_queue is not None:
        # The yard's live scan queue may move the random rate within the ruleset's bounds.
        capacity = requested_red_rate(ctx.scan_queue(uow), ruleset.ruleset.random_selection)
        random_red_rate = None if capacity is None else capacity.rate
    assessment = assess(facts, ruleset, seed=ctx.new_seed(), random_red_rate=random_red_rate)
    declaration.lane = assessment.lane.value
    # The facts are kept with the draw so that any decision can be recomputed and audited.
    declaration.assessment = {**assessment.as_dict(), "facts": facts.as_dict()}
    if capacity is not None:
        declaration.assessment["capacity"] = capacity.as_dict()
    declaration.move_to(S.ASSESSED, at=now, actor="selectivity")
    next_status = {
        SelectivityLane.GREEN: S.RELEASED,
        SelectivityLane.BLUE: S.RELEASED,
        SelectivityLane.YELLOW: S.DOCUMENT_CHECK,
        SelectivityLane.RED: S.EXAMINATION,
    }[assessment.lane]
    # Numbered once the lane is known; the passport (sealed on release) carries the number.
    # The year is Beijing's: a declaration submitted at 00:30 on 1 January is of the new year.
    year = now.astimezone(BEIJING).year
    serial = uow.counters.next(f"declaration:{ctx.office_code}:{year}")
    declaration.number = f"{ctx.office_code}{year:04d}0{serial:09d}"
    if next_status is S.RELEASED:
        # Green and blue lanes release without intervention (blue is audited after clearance).
        release_now(declaration, uow, at=now, actor="selectivity", reason=f"{assessment.lane} lane")
    else:
        declaration.move_to(next_status, at=now, actor="selectivity")
    uow.audit.append(
        actor=actor.username,
        action="declaration.submitted",
        entity_type="declaration",
        entity_id=declaration.id,
        before=before,
        after=snapshot(declaration),
        detail=f"lane={assessment.lane.value};ruleset={version}",
    )
    uow.events.append(DeclarationAssessed(declaration.id, assessment.lane.value, now))


def cancel_declaration(
    cmd: CancelDeclaration, uow: UnitOfWork, ctx: ClearanceContext
) -> CustomsDeclaration:
    """The declarant withdraws a declaration that customs has not decided on."""
    if cmd.actor.role is not Role.DECLARANT:
        raise Forbidden("only the declarant may cancel", "只有申报人可以撤销报关单")
    declaration = get_actionable(uow, cmd.actor, cmd.declaration_id, beijing_date(ctx.clock.now()))
    before = snapshot(declaration)
    declaration.move_to(
        S.CANCELLED, at=ctx.clock.now(), actor=cmd.actor.username, reason=cmd.reason
    )
    declaration.decision_reason = cmd.reason
    uow.declarations.save(declaration)
    uow.audit.append(
        actor=cmd.actor.username,
        action="declaration.cancelled",
        entity_type="declaration",
        entity_id=declaration.id,
        before=before,
        after=snapshot(declaration),
        detail=cmd.reason,
    )
    return declaration


def first_time_exporter(uow: UnitOfWork, enterprise: Enterprise | None, uscc: str) -> bool:
    """No export through this port on record: none released here, none in earlier records."""
    if enterprise is not None and enterprise.exports_here_since is not None:
        return False
    return not uow.declarations.has_released(uscc)
