"""Who may see a declaration, and the snapshot the audit log digests."""

from __future__ import annotations

from datetime import date
from typing import Any, TypeGuard

from landport.declarations.agent import require_agency
from landport.declarations.codec import content_to_dict
from landport.declarations.model import CustomsDeclaration
from landport.declarations.ports import UnitOfWork
from landport.enterprises.model import Actor
from landport.shared.errors import NotFound


def snapshot(declaration: CustomsDeclaration) -> dict[str, Any]:
    """What the audit log digests as the before/after state of a declaration."""
    return {
        "id": declaration.id,
        "number": declaration.number,
        "declaring_agent_uscc": declaration.declaring_agent_uscc,
        "status": declaration.status.value,
        "lane": declaration.lane,
        "version": declaration.version,
        "content": content_to_dict(declaration.content),
        "decision_reason": declaration.decision_reason,
        "passport_digest": declaration.passport_digest,
    }


def is_visible(
    declaration: CustomsDeclaration | None, actor: Actor
) -> TypeGuard[CustomsDeclaration]:
    """Whether the declaration exists and the actor may see it (officials, its consignor's
    declarants, the declarants of the customs broker that lodged it)."""
    return declaration is not None and actor.may_see_declaration(
        declaration.enterprise_uscc, declaration.declaring_agent_uscc
    )


def get_visible(uow: UnitOfWork, actor: Actor, declaration_id: str) -> CustomsDeclaration:
    """The declaration if it exists and the actor may see it; otherwise NotFound (no leak)."""
    declaration = uow.declarations.get(declaration_id)
    if not is_visible(declaration, actor):
        raise NotFound(f"declaration {declaration_id} not found", f"未找到报关单 {declaration_id}")
    return declaration


def get_actionable(
    uow: UnitOfWork, actor: Actor, declaration_id: str, today: date
) -> CustomsDeclaration:
    """The declaration the actor may act on today (a Beijing date): one it sees (else
    NotFound), and, for a broker's declarant acting for a client, only while an
    authorisation covers the day (else ``no_agency_authorisation``). A broker sees what it
    lodged for ever, but acts for the client only while authorised."""
    declaration = get_visible(uow, actor, declaration_id)
    require_agency(actor, declaration, uow.authorisations.between, today)
    return declaration
