"""How declarations and related records look to API clients (JSON-ready dicts)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from landport.declarations.codec import content_to_dict
from landport.declarations.model import STATUS_ZH, CustomsDeclaration, DeclarationStatus
from landport.inspection.model import InspectionRecord
from landport.inspection.passport import passport_digest, recompute_passport
from landport.shared.errors import InvalidInput, Violation


def declaration_view(
    d: CustomsDeclaration, inspections: Sequence[InspectionRecord] = ()
) -> dict[str, Any]:
    return {
        "id": d.id,
        "number": d.number,
        "status": d.status.value,
        "status_zh": STATUS_ZH[d.status],
        "lane": d.lane,
        "enterprise_uscc": d.enterprise_uscc,
        "declarant": d.declarant,
        "version": d.version,
        "created_at": d.created_at.isoformat(),
        "updated_at": d.updated_at.isoformat(),
        "declaration": content_to_dict(d.content),
        "warnings": d.warnings,
        "assessment": d.assessment,
        "decision_reason": d.decision_reason,
        "passport_digest": d.passport_digest,
        "history": [
            {"status": h.status.value, "at": h.at.isoformat(), "actor": h.actor, "reason": h.reason}
            for h in d.history
        ],
        "inspections": [r.as_dict() for r in inspections],
    }


def passport_view(
    declaration: CustomsDeclaration, inspections: Sequence[InspectionRecord]
) -> dict[str, Any] | None:
    """The inspection passport recomputed from the records, and whether it still matches the
    digest sealed at release; None before release."""
    passport = recompute_passport(declaration, inspections)
    if passport is None or declaration.passport_digest is None:
        return None
    digest = passport_digest(passport)
    return {
        "passport": passport,
        "digest": digest,
        "digest_matches": digest == declaration.passport_digest,
    }


def summary_view(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
    out["status_zh"] = STATUS_ZH[DeclarationStatus(row["status"])]
    return out


def status_filter(value: str | None, statuses: Iterable[str]) -> str | None:
    """A list's `status` filter: a misspelt one is refused (422), never an empty list."""
    if not value:
        return None
    known = sorted(statuses)
    if value not in known:
        allowed = ", ".join(known)
        raise InvalidInput(
            [
                Violation(
                    "status",
                    "unknown_status",
                    f"status must be one of {allowed}",
                    f"状态须为 {allowed} 之一",
                )
            ]
        )
    return value
