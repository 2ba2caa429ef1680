"""Business rules of an export declaration, all reported at once with bilingual messages.

Errors refuse the declaration; warnings (severity "warning") are accepted and shown to the
declarant and the officer: the lithium-battery heading trap and implausible value per kg
(:mod:`landport.declarations.plausibility`).

The rules run on a :class:`DeclarationDraft`, so they also run on a declaration whose shape
is partly broken: each rule first checks that every field it reads is usable and is skipped
otherwise. Per-field rules thus still report on the fields that are fine, and cross-field
rules never report an error caused by a field that is missing or malformed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal

from landport.declarations.draft import (
    UNUSABLE,
    ContainerDraft,
    DeclarationDraft,
    Unusable,
    known,
)
from landport.declarations.messages import violation
from landport.declarations.model import DeclarationContent
from landport.declarations.plausibility import (
    WARNING,
    band_breaches,
    lithium_warnings,
    value_band_warnings,
)
from landport.enterprises.model import Actor, Role
from landport.reference.catalog import ContainerTare, ReferenceCatalog
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


def validate_declaration(
    content: DeclarationContent, catalog: ReferenceCatalog, *, actor: Actor
) -> list[Violation]:
    """Every broken rule of ``content``: errors first by field order, then warnings."""
    return validate_draft(DeclarationDraft.of(content), catalog, actor=actor)


def validate_draft(
    draft: DeclarationDraft, catalog: ReferenceCatalog, *, actor: Actor
) -> list[Violation]:
    """Every broken rule whose inputs are usable: errors first by field order, then warnings."""
    plate = draft.vehicle_plate
    return errors_first(
        [
            *_check_codes(draft, catalog),
            *_check_consignor(draft, actor),
            *(
                ()
                if plate is UNUSABLE
                else _identifier(
                    "vehicle_plate", plate, check_vehicle_plate(plate, catalog.plate_prefixes)
                )
            ),
            *_check_containers(draft, catalog),
            *_check_items(draft, catalog),
            *_check_masses(draft, catalog),
            *_check_total_value(draft),
            *_check_trade_mode_requirements(draft, catalog),
            *lithium_warnings(draft, catalog.lithium_naming),
            *value_band_warnings(draft, catalog),
        ]
    )


def errors_first(found: Iterable[Violation]) -> list[Violation]:
    """Errors, then warnings, each kept in the order found (a stable partition)."""
    found = list(found)
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
    for breach in band_breaches(DeclarationDraft.of(content), catalog):
        seen.setdefault(breach.hs_code)
    return tuple(seen)


# --- code lists -----------------------------------------------------------------------------


def _check_codes(draft: DeclarationDraft, catalog: ReferenceCatalog) -> Iterator[Violation]:
    trade_mode, transport_mode, port = draft.trade_mode, draft.transport_mode, draft.exit_port
    if trade_mode is not UNUSABLE and trade_mode not in catalog.trade_modes:
        yield violation("trade_mode", "unknown_trade_mode", value=trade_mode)
    if transport_mode is not UNUSABLE:
        if transport_mode not in catalog.transport_modes:
            yield violation("transport_mode", "unknown_transport_mode", value=transport_mode)
        elif port is not UNUSABLE and port in catalog.exit_ports and transport_mode != ROAD:
            yield violation("transport_mode", "transport_mode_not_road", port=port)
    terms = draft.trade_terms
    if terms is not UNUSABLE and canonical_trade_terms(terms, catalog) is None:
        yield violation("trade_terms", "unknown_trade_terms", value=terms)
    if port is not UNUSABLE and port not in catalog.exit_ports:
        yield violation(
            "exit_port",
            "unknown_exit_port",
            value=port,
            expected=", ".join(sorted(catalog.exit_ports)),
        )
    if draft.destination_country is not UNUSABLE:
        yield from _check_destination(draft.destination_country, catalog)
    currency = draft.currency
    if isinstance(currency, str) and currency not in catalog.cny_per_unit:
        yield _currency_refusal("currency", currency, catalog)


def _check_destination(dest: str, catalog: ReferenceCatalog) -> Iterator[Violation]:
    if dest == CHINA:
        yield violation("destination_country", "destination_is_china")
    elif dest not in catalog.countries:
        if dest.upper() in catalog.countries:
            yield violation(
                "destination_country", "country_code_not_upper_case", expected=dest.upper()
            )
        else:
            yield violation("destination_country", "unknown_country", value=dest)


def _identifier(path: str, value: str, check: IdentifierCheck) -> Iterator[Violation]:
    if check.reason is not None:
        yield violation(path, check.reason, expected=check.expected or "", length=len(value))


def _check_consignor(draft: DeclarationDraft, actor: Actor) -> Iterator[Violation]:
    uscc = draft.consignor_uscc
    if uscc is UNUSABLE:
        return
    yield from _identifier("consignor_uscc", uscc, check_uscc(uscc))
    if actor.role is Role.DECLARANT and actor.enterprise_uscc != uscc:
        yield violation(
            "consignor_uscc", "not_own_enterprise", expected=actor.enterprise_uscc or "-"
        )


# --- containers and items -------------------------------------------------------------------


def _check_containers(draft: DeclarationDraft, catalog: ReferenceCatalog) -> Iterator[Violation]:
    """Each container on its own; a broken container or field hides nothing else.

    A container's gross mass includes its tare: it is at least the least tare of its size type
    plus the goods known to be in it (:func:`_goods_in_sole_container`).
    """
    if draft.containers is UNUSABLE:
        return
    goods = _goods_in_sole_container(draft)
    seen: set[str] = set()
    for i, box in enumerate(draft.containers):
        path = f"containers[{i}]"
        number, size_type, gross_kg = box.number, box.size_type, box.gross_kg
        if number is not UNUSABLE:
            yield from _identifier(f"{path}.number", number, check_container_number(number))
            if number in seen:
                yield violation(f"{path}.number", "duplicate_container_number", value=number)
            seen.add(number)
        max_gross = None if size_type is UNUSABLE else catalog.container_max_gross_kg.get(size_type)
        if size_type is not UNUSABLE and max_gross is None:
            yield violation(f"{path}.size_type", "unknown_container_size_type", value=size_type)
        elif max_gross is not None and gross_kg is not UNUSABLE and gross_kg > max_gross:
            yield violation(
                f"{path}.gross_kg",
                "container_over_max_gross",
                value=gross_kg,
                size_type=size_type,
                max=max_gross,
            )
        elif (
            (tare := _tare(size_type, catalog)) is not None
            and gross_kg is not UNUSABLE
            and 0 < gross_kg < tare.min_kg + goods
        ):
            yield violation(
                f"{path}.gross_kg",
                "container_gross_below_tare",
                value=gross_kg,
                required=tare.min_kg + goods,
                goods=goods,
                size_type=size_type,
                min=tare.min_kg,
                tare=tare.typical_kg,
            )
        if gross_kg is not UNUSABLE and gross_kg <= 0:
            yield violation(f"{path}.gross_kg", "not_positive")


def _goods_in_sole_container(draft: DeclarationDraft) -> Decimal:
    """The goods' gross mass if a single container carries them, else 0 kg.

    How goods spread over several containers is not declared, so only the sum is judged
    (:func:`_check_goods_within_containers`). Goods heavier than their only container are
    reported as such (gross_exceeds_containers), not a second time against its tare.
    """
    boxes, gross = draft.containers, draft.gross_kg
    if boxes is UNUSABLE or len(boxes) != 1 or gross is UNUSABLE or gross <= 0:
        return Decimal(0)
    box_gross = boxes[0].gross_kg
    if box_gross is UNUSABLE or gross > box_gross:
        return Decimal(0)
    return gross


def _check_items(draft: DeclarationDraft, catalog: ReferenceCatalog) -> Iterator[Violation]:
    """Each item field on its own; a broken item or field hides nothing else."""
    if draft.items is UNUSABLE:
        return
    for i, item in enumerate(draft.items):
        path = f"items[{i}]"
        if item.hs_code is not UNUSABLE:
            yield from _identifier(f"{path}.hs_code", item.hs_code, check_hs_code(item.hs_code))
        for name, amount in (("quantity", item.quantity), ("value", item.value)):
            if amount is not UNUSABLE and amount <= 0:
                yield violation(f"{path}.{name}", "not_positive")
        if isinstance(item.net_kg, Decimal) and item.net_kg <= 0:
            yield violation(f"{path}.net_kg", "not_positive")
        coded = (
            ("unit", item.unit, catalog.units, "unknown_unit"),
            ("origin_province", item.origin_province, catalog.provinces, "unknown_province"),
        )
        for name, code, known_codes, problem in coded:
            if code is not UNUSABLE and code not in known_codes:
                yield violation(f"{path}.{name}", problem, value=code)
        if isinstance(item.currency, str) and item.currency not in catalog.cny_per_unit:
            yield _currency_refusal(f"{path}.currency", item.currency, catalog)


def _currency_refusal(path: str, code: str, catalog: ReferenceCatalog) -> Violation:
    """'usd' is USD written in lower case: say so, as for country codes."""
    if code.upper() in catalog.cny_per_unit:
        return violation(path, "currency_code_not_upper_case", expected=code.upper())
    return violation(path, "unknown_currency", value=code)


# --- masses and values ----------------------------------------------------------------------


def _check_masses(draft: DeclarationDraft, catalog: ReferenceCatalog) -> Iterator[Violation]:
    """Net within gross; goods within the boxes carrying them; items within the net mass.

    Each comparison needs all of its operands: one unusable container or item mass skips it.
    """
    gross, net = draft.gross_kg, draft.net_kg
    for name, amount in (("gross_kg", gross), ("net_kg", net)):
        if amount is not UNUSABLE and amount <= 0:
            yield violation(name, "not_positive")
    if gross is not UNUSABLE and net is not UNUSABLE and net > gross:
        yield violation("net_kg", "net_exceeds_gross", value=net, max=gross)
    yield from _check_goods_within_containers(draft, catalog)
    item_nets = None if draft.items is UNUSABLE else known(item.net_kg for item in draft.items)
    if net is not UNUSABLE and item_nets:
        total = sum(item_nets, Decimal(0))
        if total > net + ITEM_NET_ROUNDING_KG * len(item_nets):
            yield violation("net_kg", "items_net_exceed_net", value=total, max=net)


def _check_goods_within_containers(
    draft: DeclarationDraft, catalog: ReferenceCatalog
) -> Iterator[Violation]:
    """The boxes' gross masses add up to at least the goods plus the boxes' least tares.

    ContainerLine.gross_kg is the verified gross mass of the loaded box (goods, packing and
    tare), so the declared gross mass of the goods cannot exceed the boxes' sum, nor can it
    plus the least tares of the boxes (a box of unknown size type counts 0 kg; a single box is
    judged on its own in :func:`_check_containers`). With no containers (NEVs on a car
    carrier) there is nothing to compare.
    """
    gross, containers = draft.gross_kg, draft.containers
    if gross is UNUSABLE or containers is UNUSABLE:
        return
    boxes = known(c.gross_kg for c in containers)
    if not boxes:
        return
    boxes_kg = sum(boxes, Decimal(0))
    if gross > boxes_kg:
        yield violation("gross_kg", "gross_exceeds_containers", value=gross, max=boxes_kg)
    elif len(boxes) > 1 and gross > 0:
        tares = _least_tares(containers, catalog)
        if gross + tares > boxes_kg:
            yield violation(
                "gross_kg",
                "gross_and_tare_exceed_containers",
                value=gross,
                tare=tares,
                required=gross + tares,
                max=boxes_kg,
            )


def _tare(size_type: str | Unusable, catalog: ReferenceCatalog) -> ContainerTare | None:
    """The tare of a box of this size type; None when the size type is unusable or the
    reference file gives it no tare (its tare is then not judged)."""
    return None if size_type is UNUSABLE else catalog.container_tares.get(size_type)


def _least_tares(boxes: Iterable[ContainerDraft], catalog: ReferenceCatalog) -> Decimal:
    """The least the empty boxes weigh together; a box whose tare is not known counts 0 kg."""
    least = Decimal(0)
    for box in boxes:
        if (tare := _tare(box.size_type, catalog)) is not None:
            least += tare.min_kg
    return least


def _check_total_value(draft: DeclarationDraft) -> Iterator[Violation]:
    """The declared total equals the items' sum, in one currency (the declared one if given).

    Judged only when the total, the declared currency and every item's value and currency
    are usable.
    """
    total_value, currency, items = draft.total_value, draft.currency, draft.items
    if total_value is None or total_value is UNUSABLE or currency is UNUSABLE:
        return
    if items is UNUSABLE:
        return
    currencies, values = known(it.currency for it in items), known(it.value for it in items)
    if currencies is None or values is None:
        return
    if currency is not None:
        mismatched = [(i, c) for i, c in enumerate(currencies) if c != currency]
        for i, item_currency in mismatched:
            yield violation(
                f"items[{i}].currency",
                "total_value_currency_mismatch",
                value=item_currency,
                expected=currency,
            )
        if mismatched:
            return
    else:
        distinct = list(dict.fromkeys(currencies))
        if len(distinct) > 1:
            yield violation("currency", "total_value_mixed_currencies", value=", ".join(distinct))
            return
        currency = distinct[0] if distinct else ""
    total = sum(values, Decimal(0))
    if abs(total_value - total) > TOTAL_VALUE_TOLERANCE:
        yield violation("total_value", "total_value_mismatch", expected=total, currency=currency)


def _check_trade_mode_requirements(
    draft: DeclarationDraft, catalog: ReferenceCatalog
) -> Iterator[Violation]:
    """Cross-border e-commerce modes need their reference; a malformed one is not 'missing'."""
    if draft.trade_mode is UNUSABLE:
        return
    field = catalog.required_by_trade_mode.get(draft.trade_mode)
    if field is None:
        return
    value: object = getattr(draft, field, None)
    if value is not UNUSABLE and not value:
        yield violation(field, "required_by_trade_mode", trade_mode=draft.trade_mode)
