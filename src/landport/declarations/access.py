"""Who may see a declaration, and the snapshot the audit log digests."""

from __future__ import annotations

from typing import Any

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


def get_visible(uow: UnitOfWork, actor: Actor, declaration_id: str) -> CustomsDeclaration:
    """The declaration if it exists and the actor may see it; otherwise NotFound (no leak)."""
    declaration = uow.declarations.get(declaration_id)
    if declaration is None or not actor.may_see_declaration(
        declaration.enterprise_uscc, declaration.declaring_agent_uscc
    ):
        raise NotFound(f"declaration {declaration_id} not found", f"未找到报关单 {declaration_id}")
    return declaration
