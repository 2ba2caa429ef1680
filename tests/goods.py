"""Declarations whose lane the default rules decide (with the random floor at zero)."""

from __future__ import annotations

from typing import Any

from builders import (
    nev_declaration_payload,
    valid_container_payload,
    valid_declaration_payload,
    valid_item_payload,
)
from landport.adapters.reference_files import load_catalog

#: Typical tare of a 20 ft general-purpose box (22G1): its gross is the goods' plus this.
TARE_22G1_KG = load_catalog().container_tares["22G1"].typical_kg


def _box_for(goods_gross_kg: int) -> list[dict[str, Any]]:
    """The builder's 20 ft box loaded with just these goods, so its gross mass is realistic."""
    return [valid_container_payload(gross_kg=str(goods_gross_kg + TARE_22G1_KG))]


def furniture_payload(**overrides: Any) -> dict[str, Any]:
    """Sofas from a general-rated first-time exporter: score 25, green lane."""
    item = valid_item_payload(
        hs_code="9401610000",
        name="布艺沙发 upholstered sofas",
        unit="set",
        quantity="120",
        value="25000.00",
        net_kg="6000",
    )
    return valid_declaration_payload(
        items=[item],
        gross_kg="6400",
        net_kg="6000",
        total_value="25000.00",
        **{"containers": _box_for(6400), **overrides},
    )


def lithium_ion_payload(**overrides: Any) -> dict[str, Any]:
    """Lithium-ion batteries from a first-time exporter: forced yellow (document check)."""
    return valid_declaration_payload(**overrides)


def primary_lithium_payload(**overrides: Any) -> dict[str, Any]:
    """Primary lithium cells (8506.50): forced red (examination)."""
    item = valid_item_payload(
        hs_code="8506500000",
        name="锂原电池 primary lithium cells CR2032",
        unit="piece",
        quantity="200000",
        value="42000.00",
        net_kg="1000",
    )
    return valid_declaration_payload(
        items=[item],
        gross_kg="1200",
        net_kg="1000",
        total_value="42000.00",
        **{"containers": _box_for(1200), **overrides},
    )


__all__ = [
    "furniture_payload",
    "lithium_ion_payload",
    "nev_declaration_payload",
    "primary_lithium_payload",
]
