"""Turns the raw JSON of a declaration into DeclarationContent, reporting every problem at once.

Parsing checks only the shape (presence, types, numbers, list sizes, lengths); the business
rules (code lists, identifiers, masses) are in :mod:`landport.declarations.validation`.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from landport.declarations.messages import violation
from landport.declarations.model import ContainerLine, DeclarationContent, GoodsItem
from landport.shared.errors import Violation

MAX_ITEMS = 50  # goods lines on one declaration
MAX_CONTAINERS = 100
#: Amounts at or above this are typos or attacks; Decimal would accept 1e999999.
MAX_AMOUNT = Decimal("1e15")
DEFAULT_MAX_LEN = 64
MAX_LEN: dict[str, int] = {"name": 255}


class _Reader:
    """Reads fields of one JSON object, collecting violations instead of raising."""

    def __init__(self, raw: Mapping[str, object], prefix: str, out: list[Violation]) -> None:
        self.raw = raw
        self.prefix = prefix
        self.out = out

    def path(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def text(self, key: str, *, required: bool = True) -> str | None:
        value = self.raw.get(key)
        path = self.path(key)
        if value is None:
            if required:
                self.out.append(violation(path, "required"))
            return None
        if not isinstance(value, str):
            self.out.append(violation(path, "wrong_type", kind="text"))
            return None
        value = value.strip()
        if not value:
            if required:
                self.out.append(violation(path, "blank"))
            return None
        limit = MAX_LEN.get(key, DEFAULT_MAX_LEN)
        if len(value) > limit:
            self.out.append(violation(path, "too_long", length=len(value), max=limit))
            return None
        return value

    def number(self, key: str, *, required: bool = True) -> Decimal | None:
        """A non-negative Decimal from a JSON number or a numeric string."""
        value = self.raw.get(key)
        path = self.path(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.out.append(violation(path, "required" if value is None else "blank"))
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            self.out.append(violation(path, "wrong_type", kind="number"))
            return None
        # str(float) is the shortest repr, so 0.1 stays 0.1 rather than its binary expansion
        shown = value.strip() if isinstance(value, str) else str(value)
        try:
            number = Decimal(shown)
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite():
            self.out.append(violation(path, "not_a_number", value=shown[:40]))
            return None
        if number < 0:
            self.out.append(violation(path, "negative"))
            return None
        if number >= MAX_AMOUNT:
            self.out.append(violation(path, "too_large", max=MAX_AMOUNT))
            return None
        return number

    def integer(self, key: str, *, minimum: int) -> int | None:
        number = self.number(key)
        if number is None:
            return None
        if number != number.to_integral_value():
            self.out.append(violation(self.path(key), "not_an_integer"))
            return None
        if number < minimum:
            self.out.append(violation(self.path(key), "too_small", min=minimum))
            return None
        return int(number)

    def objects(
        self, key: str, *, min_len: int, max_len: int
    ) -> list[tuple[str, Mapping[str, object]]] | None:
        """The entries of a list of objects, each with its path; None if the list is unusable."""
        value = self.raw.get(key)
        path = self.path(key)
        if value is None:
            self.out.append(violation(path, "required"))
            return None
        if not isinstance(value, list):
            self.out.append(violation(path, "wrong_type", kind="list"))
            return None
        if len(value) < min_len:
            self.out.append(violation(path, "empty_list"))
            return None
        if len(value) > max_len:
            self.out.append(violation(path, "too_many_entries", count=len(value), max=max_len))
            return None
        entries: list[tuple[str, Mapping[str, object]]] = []
        for i, entry in enumerate(value):
            if isinstance(entry, Mapping):
                entries.append((f"{path}[{i}]", entry))
            else:
                self.out.append(violation(f"{path}[{i}]", "wrong_type", kind="object"))
        return entries


def _container(path: str, raw: Mapping[str, object], out: list[Violation]) -> ContainerLine | None:
    r = _Reader(raw, path, out)
    number, size_type, gross_kg = r.text("number"), r.text("size_type"), r.number("gross_kg")
    if number is None or size_type is None or gross_kg is None:
        return None
    return ContainerLine(number=number, size_type=size_type, gross_kg=gross_kg)


def _item(path: str, raw: Mapping[str, object], out: list[Violation]) -> GoodsItem | None:
    r = _Reader(raw, path, out)
    hs_code, name = r.text("hs_code"), r.text("name")
    quantity, unit = r.number("quantity"), r.text("unit")
    value, currency = r.number("value"), r.text("currency")
    origin_province = r.text("origin_province")
    net_kg = r.number("net_kg", required=False)
    if (
        hs_code is None
        or name is None
        or quantity is None
        or unit is None
        or value is None
        or currency is None
        or origin_province is None
    ):
        return None
    return GoodsItem(
        hs_code=hs_code,
        name=name,
        quantity=quantity,
        unit=unit,
        value=value,
        currency=currency,
        origin_province=origin_province,
        net_kg=net_kg,
    )


def parse_declaration(
    raw: Mapping[str, object],
) -> tuple[DeclarationContent | None, list[Violation]]:
    """Build the content from a posted JSON object, or list every shape problem found.

    Returns ``(content, [])`` or ``(None, violations)``. Strings are stripped; numbers may be
    JSON numbers or numeric strings and become Decimal; unknown keys are ignored; optional
    strings that are blank count as absent.

    ``containers`` is required but may be an empty list: NEVs driven or carried on car
    transporters and break-bulk loads cross the border without a container, yet the declarant
    must say so explicitly rather than forget the key. ``items`` needs 1 to 50 entries.
    """
    out: list[Violation] = []
    if not isinstance(raw, Mapping):
        return None, [violation("", "wrong_type", kind="object")]
    r = _Reader(raw, "", out)
    texts = {
        key: r.text(key)
        for key in (
            "trade_mode",
            "consignor_uscc",
            "exit_port",
            "destination_country",
            "transport_mode",
            "trade_terms",
            "vehicle_plate",
        )
    }
    container_entries = r.objects("containers", min_len=0, max_len=MAX_CONTAINERS)
    containers = [_container(p, e, out) for p, e in container_entries or []]
    gross_kg, net_kg = r.number("gross_kg"), r.number("net_kg")
    packages = r.integer("packages", minimum=1)
    item_entries = r.objects("items", min_len=1, max_len=MAX_ITEMS)
    items = [_item(p, e, out) for p, e in item_entries or []]
    cbec_order_ref = r.text("cbec_order_ref", required=False)
    warehouse_booking_ref = r.text("warehouse_booking_ref", required=False)
    total_value = r.number("total_value", required=False)
    currency = r.text("currency", required=False)
    if out:
        return None, out
    assert gross_kg is not None and net_kg is not None and packages is not None
    return (
        DeclarationContent(
            trade_mode=_present(texts["trade_mode"]),
            consignor_uscc=_present(texts["consignor_uscc"]),
            exit_port=_present(texts["exit_port"]),
            destination_country=_present(texts["destination_country"]),
            transport_mode=_present(texts["transport_mode"]),
            trade_terms=_present(texts["trade_terms"]),
            vehicle_plate=_present(texts["vehicle_plate"]),
            containers=[c for c in containers if c is not None],
            gross_kg=gross_kg,
            net_kg=net_kg,
            packages=packages,
            items=[i for i in items if i is not None],
            cbec_order_ref=cbec_order_ref,
            warehouse_booking_ref=warehouse_booking_ref,
            total_value=total_value,
            currency=currency,
        ),
        [],
    )


def _present(value: str | None) -> str:
    """Narrow a required text already known to be present (no violation was recorded)."""
    assert value is not None
    return value
