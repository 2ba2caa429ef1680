"""Business rules of an export declaration, all reported at once with bilingual messages.

Errors refuse the declaration; warnings (severity "warning") are accepted and shown to the
declarant and the officer: the lithium-battery heading trap and implausible value per kg.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from landport.declarations.messages import violation
from landport.declarations.model import DeclarationContent, GoodsItem
from landport.enterprises.model import Actor, Role
from landport.reference.catalog import ReferenceCatalog, ValueBand
from landport.shared.errors import Violation
from landport.shared.identifiers import (
    IdentifierCheck,
    check_container_number,
    check_hs_code,
    check_uscc,
    check_vehicle_plate,
)

ROAD = "4"  # transport mode code: every exit via the border ports is by road
CHINA = "CN"
#: Values are compared to the cent.
TOTAL_VALUE_TOLERANCE = Decimal("0.01")
#: Each item's net mass may be rounded to the nearest kg, so the sum may drift by 0.5 kg/item.
ITEM_NET_ROUNDING_KG = Decimal("0.5")
WARNING = "warning"


def validate_declaration(
    content: DeclarationContent, catalog: ReferenceCatalog, *, actor: Actor
) -> list[Violation]:
    """Every broken rule of ``content``: errors first by field order, then warnings."""
    found = [
        *_check_codes(content, catalog),
        *_check_consignor(content, actor),
        *_identifier(
            "vehicle_plate",
            content.vehicle_plate,
            check_vehicle_plate(content.vehicle_plate, catalog.plate_prefixes),
        ),
        *_check_containers(content, catalog),
        *_check_items(content, catalog),
        *_check_masses(content),
        *_check_total_value(content),
        *_check_trade_mode_requirements(content, catalog),
        *_lithium_warnings(content, catalog.lithium_naming),
        *_value_band_warnings(content, catalog),
    ]
    return [v for v in found if v.severity != WARNING] + [v for v in found if v.severity == WARNING]


def canonical_trade_terms(value: str, catalog: ReferenceCatalog) -> str | None:
    """The trade terms code for a code ("3") or an Incoterm name ("FOB"); codes are canonical."""
    if value in catalog.trade_terms:
        return value
    for code, entry in catalog.trade_terms.items():
        if entry.name_en.upper() == value.upper():
            return code
    return None


def value_band_breaches(content: DeclarationContent, catalog: ReferenceCatalog) -> tuple[str, ...]:
    """HS codes (each once, in item order) whose declared CNY per kg is outside their band.

    Items without a band, a known currency or a net mass are not judged. A risk indicator,
    never a refusal.
    """
    seen: dict[str, None] = {}
    for _, item, _, _ in _band_breaches(content, catalog):
        seen.setdefault(item.hs_code)
    return tuple(seen)


# --- code lists -----------------------------------------------------------------------------


def _check_codes(content: DeclarationContent, catalog: ReferenceCatalog) -> Iterator[Violation]:
    if content.trade_mode not in catalog.trade_modes:
        yield violation("trade_mode", "unknown_trade_mode", value=content.trade_mode)
    if content.transport_mode not in catalog.transport_modes:
        yield violation("transport_mode", "unknown_transport_mode", value=content.transport_mode)
    elif content.exit_port in catalog.exit_ports and content.transport_mode != ROAD:
        yield violation("transport_mode", "transport_mode_not_road", port=content.exit_port)
    if canonical_trade_terms(content.trade_terms, catalog) is None:
        yield violation("trade_terms", "unknown_trade_terms", value=content.trade_terms)
    if content.exit_port not in catalog.exit_ports:
        yield violation(
            "exit_port",
            "unknown_exit_port",
            value=content.exit_port,
            expected=", ".join(sorted(catalog.exit_ports)),
        )
    dest = content.destination_country
    if dest == CHINA:
        yield violation("destination_country", "destination_is_china")
    elif dest not in catalog.countries:
        if dest.upper() in catalog.countries:
            yield violation(
                "destination_country", "country_code_not_upper_case", expected=dest.upper()
            )
        else:
            yield violation("destination_country", "unknown_country", value=dest)
    if content.currency is not None and content.currency not in catalog.cny_per_unit:
        yield violation("currency", "unknown_currency", value=content.currency)


def _identifier(path: str, value: str, check: IdentifierCheck) -> Iterator[Violation]:
    if check.reason is not None:
        yield violation(path, check.reason, expected=check.expected or "", length=len(value))


def _check_consignor(content: DeclarationContent, actor: Actor) -> Iterator[Violation]:
    uscc = content.consignor_uscc
    yield from _identifier("consignor_uscc", uscc, check_uscc(uscc))
    if actor.role is Role.DECLARANT and actor.enterprise_uscc != uscc:
        yield violation(
            "consignor_uscc", "not_own_enterprise", expected=actor.enterprise_uscc or "-"
        )


# --- containers and items -------------------------------------------------------------------


def _check_containers(
    content: DeclarationContent, catalog: ReferenceCatalog
) -> Iterator[Violation]:
    seen: set[str] = set()
    for i, box in enumerate(content.containers):
        path = f"containers[{i}]"
        yield from _identifier(f"{path}.number", box.number, check_container_number(box.number))
        if box.number in seen:
            yield violation(f"{path}.number", "duplicate_container_number", value=box.number)
        seen.add(box.number)
        max_gross = catalog.container_max_gross_kg.get(box.size_type)
        if max_gross is None:
            yield violation(f"{path}.size_type", "unknown_container_size_type", value=box.size_type)
        elif box.gross_kg > max_gross:
            yield violation(
                f"{path}.gross_kg",
                "container_over_max_gross",
                value=box.gross_kg,
                size_type=box.size_type,
                max=max_gross,
            )
        if box.gross_kg <= 0:
            yield violation(f"{path}.gross_kg", "not_positive")


def _check_items(content: DeclarationContent, catalog: ReferenceCatalog) -> Iterator[Violation]:
    for i, item in enumerate(content.items):
        path = f"items[{i}]"
        yield from _identifier(f"{path}.hs_code", item.hs_code, check_hs_code(item.hs_code))
        for name, amount in (("quantity", item.quantity), ("value", item.value)):
            if amount <= 0:
                yield violation(f"{path}.{name}", "not_positive")
        if item.net_kg is not None and item.net_kg <= 0:
            yield violation(f"{path}.net_kg", "not_positive")
        if item.unit not in catalog.units:
            yield violation(f"{path}.unit", "unknown_unit", value=item.unit)
        if item.currency not in catalog.cny_per_unit:
            yield violation(f"{path}.currency", "unknown_currency", value=item.currency)
        if item.origin_province not in catalog.provinces:
            yield violation(
                f"{path}.origin_province", "unknown_province", value=item.origin_province
            )


# --- masses and values ----------------------------------------------------------------------


def _check_masses(content: DeclarationContent) -> Iterator[Violation]:
    """Net within gross; goods within the boxes carrying them; items within the net mass.

    ContainerLine.gross_kg is the verified gross mass of the loaded box (goods, packing and
    tare), so the declared gross mass of the goods cannot exceed the boxes' sum. With no
    containers (NEVs on a car carrier) there is nothing to compare.
    """
    for name, amount in (("gross_kg", content.gross_kg), ("net_kg", content.net_kg)):
        if amount <= 0:
            yield violation(name, "not_positive")
    if content.net_kg > content.gross_kg:
        yield violation("net_kg", "net_exceeds_gross", value=content.net_kg, max=content.gross_kg)
    if content.containers:
        boxes = sum((c.gross_kg for c in content.containers), Decimal(0))
        if content.gross_kg > boxes:
            yield violation(
                "gross_kg", "gross_exceeds_containers", value=content.gross_kg, max=boxes
            )
    item_nets = [item.net_kg for item in content.items]
    if item_nets and all(n is not None for n in item_nets):
        total = sum((n for n in item_nets if n is not None), Decimal(0))
        if total > content.net_kg + ITEM_NET_ROUNDING_KG * len(item_nets):
            yield violation("net_kg", "items_net_exceed_net", value=total, max=content.net_kg)


def _check_total_value(content: DeclarationContent) -> Iterator[Violation]:
    """The declared total equals the items' sum, in one currency (the declared one if given)."""
    if content.total_value is None:
        return
    currency = content.currency
    if currency is not None:
        mismatched = [(i, it) for i, it in enumerate(content.items) if it.currency != currency]
        for i, item in mismatched:
            yield violation(
                f"items[{i}].currency",
                "total_value_currency_mismatch",
                value=item.currency,
                expected=currency,
            )
        if mismatched:
            return
    else:
        currencies = list(dict.fromkeys(item.currency for item in content.items))
        if len(currencies) > 1:
            yield violation("currency", "total_value_mixed_currencies", value=", ".join(currencies))
            return
        currency = currencies[0] if currencies else ""
    total = sum((item.value for item in content.items), Decimal(0))
    if abs(content.total_value - total) > TOTAL_VALUE_TOLERANCE:
        yield violation("total_value", "total_value_mismatch", expected=total, currency=currency)


def _check_trade_mode_requirements(
    content: DeclarationContent, catalog: ReferenceCatalog
) -> Iterator[Violation]:
    field = catalog.required_by_trade_mode.get(content.trade_mode)
    if field is not None and not getattr(content, field, None):
        yield violation(field, "required_by_trade_mode", trade_mode=content.trade_mode)


# --- warnings -------------------------------------------------------------------------------

_PRIMARY = (
    "a primary (non-rechargeable) lithium battery",
    "锂原电池（一次电池）",
)
_ION = ("a lithium-ion (rechargeable) accumulator", "锂离子蓄电池")


def _mentions(name: str, markers: Sequence[str], others: Sequence[str]) -> bool:
    """Whether ``name`` carries a marker, ignoring longer rival markers that contain one.

    "non-rechargeable" (primary) contains "rechargeable" (ion): it must not count as ion.
    """
    text = name.casefold()
    wanted = [m.casefold() for m in markers]
    for rival in (o.casefold() for o in others):
        if any(m in rival for m in wanted):
            text = text.replace(rival, " ")
    return any(m in text for m in wanted)


def _heading(hs6: str) -> str:
    return f"{hs6[:4]}.{hs6[4:]}"


def _lithium_warnings(
    content: DeclarationContent, naming: Mapping[str, Any]
) -> Iterator[Violation]:
    """Primary lithium batteries belong in 8506.50, lithium-ion accumulators in 8507.60."""
    primary_hs6, ion_hs6 = str(naming["primary_hs6"]), str(naming["ion_hs6"])
    primary = [str(m) for m in naming["primary_name_markers"]]
    ion = [str(m) for m in naming["ion_name_markers"]]
    for i, item in enumerate(content.items):
        if item.hs_code.startswith(primary_hs6) and _mentions(item.name, ion, primary):
            fits, declared, (kind, kind_zh) = ion_hs6, primary_hs6, _ION
        elif item.hs_code.startswith(ion_hs6) and _mentions(item.name, primary, ion):
            fits, declared, (kind, kind_zh) = primary_hs6, ion_hs6, _PRIMARY
        else:
            continue
        yield violation(
            f"items[{i}].hs_code",
            "lithium_heading_mismatch",
            severity=WARNING,
            value=item.name,
            kind=kind,
            kind_zh=kind_zh,
            expected=_heading(fits),
            actual=_heading(declared),
        )


def _band_breaches(
    content: DeclarationContent, catalog: ReferenceCatalog
) -> Iterator[tuple[int, GoodsItem, Decimal, ValueBand]]:
    """(index, item, CNY per kg, band) of each item whose value per kg is outside its band."""
    single = len(content.items) == 1
    for i, item in enumerate(content.items):
        band = catalog.value_band_for(item.hs_code)
        net = item.net_kg if item.net_kg is not None else (content.net_kg if single else None)
        cny = catalog.to_cny(item.value, item.currency)
        if band is None or net is None or net <= 0 or cny is None:
            continue
        per_kg = cny / net
        if not band.min_cny_per_kg <= per_kg <= band.max_cny_per_kg:
            yield i, item, per_kg, band


def _value_band_warnings(
    content: DeclarationContent, catalog: ReferenceCatalog
) -> Iterator[Violation]:
    for i, item, per_kg, band in _band_breaches(content, catalog):
        yield violation(
            f"items[{i}].value",
            "value_per_kg_outside_band",
            severity=WARNING,
            value=per_kg.quantize(Decimal("0.01")),
            min=band.min_cny_per_kg,
            max=band.max_cny_per_kg,
            hs=item.hs_code,
        )
