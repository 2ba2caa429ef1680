"""Use cases of risk management: publish a new ruleset version, recompute an assessment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from landport.declarations.access import get_visible
from landport.declarations.ports import ClearanceContext, UnitOfWork
from landport.enterprises.model import Actor, Role
from landport.risk.engine import assess
from landport.risk.model import RiskFacts
from landport.risk.validation import validate_ruleset
from landport.shared.errors import Conflict, Forbidden, InvalidInput


@dataclass(frozen=True)
class PublishRuleset:
    """A port administrator publishes rules; the previous versions stay for audit."""

    actor: Actor
    document: dict[str, Any]
    comment: str | None = None


@dataclass(frozen=True)
class RecomputeAssessment:
    """Re-run the recorded assessment (same facts, ruleset version and seed) and compare."""

    actor: Actor
    declaration_id: str


def publish_ruleset(cmd: PublishRuleset, uow: UnitOfWork, ctx: ClearanceContext) -> int:
    if cmd.actor.role is not Role.PORT_ADMIN:
        raise Forbidden(
            "only a port administrator may publish risk rules", "只有口岸管理员可以发布风险规则"
        )
    ruleset, problems = validate_ruleset({**cmd.document, "version": 1})
    if ruleset is None or any(p.severity == "error" for p in problems):
        raise InvalidInput(problems)
    document = ruleset.as_dict()
    version = uow.rulesets.add(document, actor=cmd.actor.username, comment=cmd.comment)
    uow.audit.append(
        actor=cmd.actor.username,
        action="risk.ruleset_published",
        entity_type="ruleset",
        entity_id=str(version),
        before=None,
        after={**document, "version": version},
        detail=cmd.comment or "",
    )
    return version


def recompute_assessment(
    cmd: RecomputeAssessment, uow: UnitOfWork, ctx: ClearanceContext
) -> dict[str, Any]:
    """Anyone auditing a lane decision can reproduce it exactly from what was recorded."""
    if cmd.actor.role not in {Role.AUDITOR, Role.CUSTOMS_OFFICER, Role.PORT_ADMIN}:
        raise Forbidden("not allowed to audit assessments", "无权复核布控结果")
    declaration = get_visible(uow, cmd.actor, cmd.declaration_id)
    recorded = declaration.assessment
    if recorded is None:
        raise Conflict("the declaration has not been assessed", "报关单尚未布控")
    version = int(recorded["ruleset_version"])
    document = uow.rulesets.get(version)
    if document is None:
        raise Conflict(f"ruleset version {version} is missing", "规则版本缺失")
    facts = RiskFacts.from_dict(recorded["facts"])
    random = recorded["random"]
    requested = random.get("requested_red_rate")
    again = assess(
        facts, ctx.rulesets.get(version, document), seed=random["seed"], random_red_rate=requested
    ).as_dict()
    kept = {k: v for k, v in recorded.items() if k != "facts"}
    return {
        "declaration_id": declaration.id,
        "ruleset_version": version,
        "recorded": kept,
        "recomputed": again,
        "identical": again == kept,
    }
