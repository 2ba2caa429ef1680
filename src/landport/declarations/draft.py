"""A declaration as far as it could be parsed: what the business rules run on.

Every field that was missing or malformed holds :data:`UNUSABLE` instead of a placeholder,
so a rule that reads it must check first (mypy enforces it) and is skipped rather than
reporting an error caused by a made-up value. ``None`` keeps its meaning of "not declared"
for the optional fields. A complete draft (nothing unusable) is a DeclarationContent.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Final, TypeVar

from landport.declarations.model import ContainerLine, DeclarationContent, GoodsItem

T = TypeVar("T")


class Unusable(Enum):
    """The type of :data:`UNUSABLE`, the single marker of a field that could not be parsed."""

    UNUSABLE = "unusable"


UNUSABLE: Final = Unusable.UNUSABLE


@dataclass(frozen=True, slots=True)
class ContainerDraft:
    number: str | Unusable
    size_type: str | Unusable
    gross_kg: Decimal | Unusable

    @classmethod
    def unreadable(cls) -> ContainerDraft:
        """An entry of the list that was not even an object."""
        return cls(UNUSABLE, UNUSABLE, UNUSABLE)

    @classmethod
    def of(cls, line: ContainerLine) -> ContainerDraft:
        return cls(line.number, line.size_type, line.gross_kg)

    def complete(self) -> ContainerLine | None:
        number, size_type, gross_kg = self.number, self.size_type, self.gross_kg
        if number is UNUSABLE or size_type is UNUSABLE or gross_kg is UNUSABLE:
            return None
        return ContainerLine(number=number, size_type=size_type, gross_kg=gross_kg)


@dataclass(frozen=True, slots=True)
class ItemDraft:
    hs_code: str | Unusable
    name: str | Unusable
    quantity: Decimal | Unusable
    unit: str | Unusable
    value: Decimal | Unusable
    currency: str | Unusable
    origin_province: str | Unusable
    net_kg: Decimal | Unusable | None = None

    @classmethod
    def unreadable(cls) -> ItemDraft:
        """An entry of the list that was not even an object."""
        u = UNUSABLE
        return cls(u, u, u, u, u, u, u, u)

    @classmethod
    def of(cls, item: GoodsItem) -> ItemDraft:
        return cls(
            item.hs_code,
            item.name,
            item.quantity,
            item.unit,
            item.value,
            item.currency,
            item.origin_province,
            item.net_kg,
        )

    def complete(self) -> GoodsItem | None:
        hs_code, name, quantity, unit = self.hs_code, self.name, self.quantity, self.unit
        value, currency, province, net_kg = (
            self.value,
            self.currency,
            self.origin_province,
            self.net_kg,
        )
        if (
            hs_code is UNUSABLE
            or name is UNUSABLE
            or quantity is UNUSABLE
            or unit is UNUSABLE
            or value is UNUSABLE
            or currency is UNUSABLE
            or province is UNUSABLE
            or net_kg is UNUSABLE
        ):
            return None
        return GoodsItem(hs_code, name, quantity, unit, value, currency, province, net_kg)


@dataclass(frozen=True, slots=True)
class DeclarationDraft:
    """DeclarationContent with every field possibly :data:`UNUSABLE`; list positions are kept
    (an unreadable entry stays in place) so that paths like ``items[1]`` match the input."""

    trade_mode: str | Unusable
    consignor_uscc: str | Unusable
    exit_port: str | Unusable
    destination_country: str | Unusable
    transport_mode: str | Unusable
    trade_terms: str | Unusable
    vehicle_plate: str | Unusable
    containers: Sequence[ContainerDraft] | Unusable
    gross_kg: Decimal | Unusable
    net_kg: Decimal | Unusable
    packages: int | Unusable
    items: Sequence[ItemDraft] | Unusable
    cbec_order_ref: str | Unusable | None = None
    warehouse_booking_ref: str | Unusable | None = None
    total_value: Decimal | Unusable | None = None
    currency: str | Unusable | None = None

    @classmethod
    def of(cls, content: DeclarationContent) -> DeclarationDraft:
        """The draft of content that parsed completely: nothing in it is unusable."""
        return cls(
            trade_mode=content.trade_mode,
            consignor_uscc=content.consignor_uscc,
            exit_port=content.exit_port,
            destination_country=content.destination_country,
            transport_mode=content.transport_mode,
            trade_terms=content.trade_terms,
            vehicle_plate=content.vehicle_plate,
            containers=[ContainerDraft.of(c) for c in content.containers],
            gross_kg=content.gross_kg,
            net_kg=content.net_kg,
            packages=content.packages,
            items=[ItemDraft.of(i) for i in content.items],
            cbec_order_ref=content.cbec_order_ref,
            warehouse_booking_ref=content.warehouse_booking_ref,
            total_value=content.total_value,
            currency=content.currency,
        )

    def complete(self) -> DeclarationContent | None:
        """The content, or None if any field (or any entry's field) is unusable."""
        containers = (
            None if self.containers is UNUSABLE else known(c.complete() for c in self.containers)
        )
        items = None if self.items is UNUSABLE else known(i.complete() for i in self.items)
        texts = known(
            [
                self.trade_mode,
                self.consignor_uscc,
                self.exit_port,
                self.destination_country,
                self.transport_mode,
                self.trade_terms,
                self.vehicle_plate,
            ]
        )
        gross_kg, net_kg, packages = self.gross_kg, self.net_kg, self.packages
        cbec, booking = self.cbec_order_ref, self.warehouse_booking_ref
        total_value, currency = self.total_value, self.currency
        if (
            containers is None
            or items is None
            or texts is None
            or gross_kg is UNUSABLE
            or net_kg is UNUSABLE
            or packages is UNUSABLE
            or cbec is UNUSABLE
            or booking is UNUSABLE
            or total_value is UNUSABLE
            or currency is UNUSABLE
        ):
            return None
        trade_mode, uscc, exit_port, destination, transport_mode, trade_terms, plate = texts
        return DeclarationContent(
            trade_mode=trade_mode,
            consignor_uscc=uscc,
            exit_port=exit_port,
            destination_country=destination,
            transport_mode=transport_mode,
            trade_terms=trade_terms,
            vehicle_plate=plate,
            containers=containers,
            gross_kg=gross_kg,
            net_kg=net_kg,
            packages=packages,
            items=items,
            cbec_order_ref=cbec,
            warehouse_booking_ref=booking,
            total_value=total_value,
            currency=currency,
        )


def known(values: Iterable[T | Unusable | None]) -> list[T] | None:
    """All the values, or None if any is unusable or absent: the inputs of a cross-field rule."""
    found: list[T] = []
    for value in values:
        if value is None or value is UNUSABLE:
            return None
        found.append(value)
    return found
