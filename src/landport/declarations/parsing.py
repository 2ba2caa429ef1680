"""Turns the raw JSON of a declaration into DeclarationContent, reporting every problem at once.

Parsing checks only the shape (presence, types, numbers, list sizes, lengths); the business
rules (code lists, identifiers, masses) are in :mod:`landport.declarations.validation`.
A broken field does not stop the others being read: :func:`read_declaration` gives a draft
in which only the broken fields are unusable, so the business rules can still run on the rest.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from landport.declarations.draft import (
    UNUSABLE,
    ContainerDraft,
    DeclarationDraft,
    ItemDraft,
    Unusable,
)
from landport.declarations.messages import violation, violation_with
from landport.declarations.model import DeclarationContent
from landport.shared.errors import Violation
from landport.shared.identifiers import normalise_plate

MAX_ITEMS = 50  # goods lines on one declaration
MAX_CONTAINERS = 100
#: Amounts at or above this are typos or attacks; Decimal would accept 1e999999.
MAX_AMOUNT = Decimal("1e15")
#: Decimal places a declared figure may carry (values to the cent, masses to the gram;
#: 82000.123456789 is a computation's float, not a declaration).
MAX_DECIMALS = 4
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
DEFAULT_MAX_LEN = 64
MAX_LEN: dict[str, int] = {"name": 255}


def _absent(value: object) -> bool:
    """Optional fields left out, null or blank are not declared (and not an error)."""
    return value is None or (isinstance(value, str) and not value.strip())


class _Reader:
    """Reads fields of one JSON object, collecting violations instead of raising.

    A field with a violation reads as UNUSABLE; an optional field left out reads as None.
    """

    def __init__(self, raw: Mapping[str, object], prefix: str, out: list[Violation]) -> None:
        self.raw = raw
        self.prefix = prefix
        self.out = out

    def path(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def _broken(self, key: str, code: str, **params: object) -> Unusable:
        self.out.append(violation_with(self.path(key), code, params))
        return UNUSABLE

    def text(self, key: str) -> str | Unusable:
        value = self.raw.get(key)
        if value is None:
            return self._broken(key, "required")
        if not isinstance(value, str):
            return self._broken(key, "wrong_type", kind="text")
        value = value.strip()
        if not value:
            return self._broken(key, "blank")
        limit = MAX_LEN.get(key, DEFAULT_MAX_LEN)
        if len(value) > limit:
            return self._broken(key, "too_long", length=len(value), max=limit)
        return value

    def optional_text(self, key: str) -> str | Unusable | None:
        return None if _absent(self.raw.get(key)) else self.text(key)

    def number(self, key: str) -> Decimal | Unusable:
        """A non-negative Decimal from a JSON number or a numeric string."""
        value = self.raw.get(key)
        if value is None:
            return self._broken(key, "required")
        if isinstance(value, str) and not value.strip():
            return self._broken(key, "blank")
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            return self._broken(key, "wrong_type", kind="number")
        # str(float) is the shortest repr, so 0.1 stays 0.1 rather than its binary expansion
        shown = value.strip() if isinstance(value, str) else str(value)
        if isinstance(value, str) and not _PLAIN_NUMBER.fullmatch(shown):
            # digits and one decimal point, as the paper form is filled: not 1e2, +5, 1_000,
            # ١٢٣ or full-width digits, which Decimal would read and store rewritten
            return self._broken(key, "not_a_number", value=shown[:40])
        try:
            number = Decimal(shown)
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite():
            return self._broken(key, "not_a_number", value=shown[:40])
        if -number.as_tuple().exponent > MAX_DECIMALS:  # type: ignore[operator]
            return self._broken(key, "too_precise", max=MAX_DECIMALS)
        if number < 0:
            return self._broken(key, "negative")
        if number >= MAX_AMOUNT:
            return self._broken(key, "too_large", max=MAX_AMOUNT)
        return number

    def optional_number(self, key: str) -> Decimal | Unusable | None:
        return None if _absent(self.raw.get(key)) else self.number(key)

    def integer(self, key: str, *, minimum: int) -> int | Unusable:
        number = self.number(key)
        if number is UNUSABLE:
            return UNUSABLE
        if number != number.to_integral_value():
            return self._broken(key, "not_an_integer")
        if number < minimum:
            return self._broken(key, "too_small", min=minimum)
        return int(number)

    def objects(self, key: str, *, min_len: int, max_len: int) -> list[_Reader | None] | Unusable:
        """A reader per entry of a list of objects (None for an entry that is no object)."""
        value = self.raw.get(key)
        if value is None:
            return self._broken(key, "required")
        if not isinstance(value, list):
            return self._broken(key, "wrong_type", kind="list")
        if len(value) < min_len:
            return self._broken(key, "empty_list")
        if len(value) > max_len:
            return self._broken(key, "too_many_entries", count=len(value), max=max_len)
        readers: list[_Reader | None] = []
        for i, entry in enumerate(value):
            if isinstance(entry, Mapping):
                readers.append(_Reader(entry, f"{self.path(key)}[{i}]", self.out))
            else:
                self._broken(f"{key}[{i}]", "wrong_type", kind="object")
                readers.append(None)
        return readers


def _container(r: _Reader | None) -> ContainerDraft:
    if r is None:
        return ContainerDraft.unreadable()
    return ContainerDraft(r.text("number"), r.text("size_type"), r.number("gross_kg"))


def _item(r: _Reader | None) -> ItemDraft:
    if r is None:
        return ItemDraft.unreadable()
    return ItemDraft(
        hs_code=r.text("hs_code"),
        name=r.text("name"),
        quantity=r.number("quantity"),
        unit=r.text("unit"),
        value=r.number("value"),
        currency=r.text("currency"),
        origin_province=r.text("origin_province"),
        net_kg=r.optional_number("net_kg"),
    )


def read_declaration(
    raw: Mapping[str, object],
) -> tuple[DeclarationDraft | None, list[Violation]]:
    """The draft of a posted JSON object and every shape problem found, in field order.

    The draft is None only if ``raw`` is not an object at all. Strings are stripped; numbers
    may be JSON numbers or numeric strings and become Decimal; unknown keys are ignored;
    optional strings that are blank count as absent.

    ``containers`` is required but may be an empty list: NEVs driven or carried on car
    transporters and break-bulk loads cross the border without a container, yet the declarant
    must say so explicitly rather than forget the key. ``items`` needs 1 to 50 entries.
    """
    out: list[Violation] = []
    if not isinstance(raw, Mapping):
        return None, [violation("", "wrong_type", kind="object")]
    r = _Reader(raw, "", out)
    # Read in the order of the form, so violations come out in that order too.
    trade_mode, consignor_uscc = r.text("trade_mode"), r.text("consignor_uscc")
    exit_port, destination_country = r.text("exit_port"), r.text("destination_country")
    transport_mode, trade_terms = r.text("transport_mode"), r.text("trade_terms")
    vehicle_plate = r.text("vehicle_plate")
    if isinstance(vehicle_plate, str):  # as printed (藏D·12345) or typed (藏d 12345): one plate
        vehicle_plate = normalise_plate(vehicle_plate)
    containers = r.objects("containers", min_len=0, max_len=MAX_CONTAINERS)
    container_drafts = UNUSABLE if containers is UNUSABLE else [_container(c) for c in containers]
    gross_kg, net_kg = r.number("gross_kg"), r.number("net_kg")
    packages = r.integer("packages", minimum=1)
    items = r.objects("items", min_len=1, max_len=MAX_ITEMS)
    item_drafts = UNUSABLE if items is UNUSABLE else [_item(i) for i in items]
    draft = DeclarationDraft(
        trade_mode=trade_mode,
        consignor_uscc=consignor_uscc,
        exit_port=exit_port,
        destination_country=destination_country,
        transport_mode=transport_mode,
        trade_terms=trade_terms,
        vehicle_plate=vehicle_plate,
        containers=container_drafts,
        gross_kg=gross_kg,
        net_kg=net_kg,
        packages=packages,
        items=item_drafts,
        cbec_order_ref=r.optional_text("cbec_order_ref"),
        warehouse_booking_ref=r.optional_text("warehouse_booking_ref"),
        total_value=r.optional_number("total_value"),
        currency=r.optional_text("currency"),
    )
    return draft, out


def parse_declaration(
    raw: Mapping[str, object],
) -> tuple[DeclarationContent | None, list[Violation]]:
    """Build the content from a posted JSON object, or list every shape problem found.

    Returns ``(content, [])`` or ``(None, violations)``; see :func:`read_declaration`.
    """
    draft, problems = read_declaration(raw)
    content = None if draft is None or problems else draft.complete()
    if content is None:
        assert problems, "an incomplete draft always comes with its violations"
        return None, problems
    return content, []
