"""The inspection passport: one digest binding the declaration, its containers and the checks.

The e-lock carries this digest, so the border port compares instead of re-inspecting.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from landport.audit.chain import canonical_json, digest_of
from landport.declarations.model import CustomsDeclaration
from landport.inspection.model import InspectionRecord

PASSPORT_SCHEMA = "landport.inspection-passport/1"


def build_passport(
    declaration: CustomsDeclaration, records: Sequence[InspectionRecord], released_at: datetime
) -> dict[str, Any]:
    """The passport's content: what the border needs to trust the land port's inspection."""
    content = declaration.content
    return {
        "schema": PASSPORT_SCHEMA,
        "declaration_id": declaration.id,
        "declaration_number": declaration.number,
        "consignor_uscc": declaration.enterprise_uscc,
        "exit_port": content.exit_port,
        "vehicle_plate": content.vehicle_plate,
        "containers": sorted(c.number for c in content.containers),
        "goods_digest": digest_of(canonical_json_items(declaration)),
        "gross_kg": str(content.gross_kg),
        "packages": content.packages,
        "lane": declaration.lane,
        "inspections": [r.as_dict() for r in sorted(records, key=lambda r: r.started_at)],
        "released_at": released_at.isoformat(),
    }


def canonical_json_items(declaration: CustomsDeclaration) -> list[dict[str, str]]:
    return [
        {
            "hs_code": i.hs_code,
            "name": i.name,
            "quantity": str(i.quantity),
            "unit": i.unit,
            "value": str(i.value),
            "currency": i.currency,
        }
        for i in declaration.content.items
    ]


def passport_digest(passport: dict[str, Any]) -> str:
    """SHA-256 over the passport's canonical JSON."""
    return digest_of(passport)


def released_at(declaration: CustomsDeclaration) -> datetime | None:
    """When the passport was sealed: the first release (a lifted hold does not re-release)."""
    return next((h.at for h in declaration.history if h.status.value == "released"), None)


def recompute_passport(
    declaration: CustomsDeclaration, records: Sequence[InspectionRecord]
) -> dict[str, Any] | None:
    """The passport as the records give it now (None if the goods were never released)."""
    at = released_at(declaration)
    return None if at is None else build_passport(declaration, records, at)


__all__ = [
    "PASSPORT_SCHEMA",
    "build_passport",
    "canonical_json",
    "passport_digest",
    "recompute_passport",
    "released_at",
]
