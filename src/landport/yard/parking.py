"""Slot assignment for the night: which zone a truck may use, and the free slot nearest the exit.

Zone rules (decided here, documented in the layout's `parking_rules`):

- dangerous goods (a single DG line, e.g. UN3480 / UN3090 lithium batteries) park only in the
  dangerous-goods zone, whatever else the truck carries; a full DG zone refuses;
- car carriers (NEVs, HS 8703.80) park in the car-carrier zone; when it is full they may use
  the general zone if `car_carrier_overflow_to_general` allows (installed vehicle batteries,
  UN3171, need no DG segregation), never the DG zone;
- general cargo parks only in the general zone: the DG zone is kept for DG cargo.

Within the allowed zones the free slot nearest the exit gate wins (ties: zone order, slot id),
so the same yard state always gives the same answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from dataclasses import dataclass

from landport.yard.model import CargoRules, ParkingZone, Slot, YardLayout, ZoneKind


@dataclass(frozen=True, slots=True)
class CargoProfile:
    """What parking needs to know about a truck's load."""

    dangerous_goods: tuple[str, ...] = ()  # UN numbers, e.g. ("UN3480",)
    car_carrier: bool = False
    hs_codes: tuple[str, ...] = ()

    @property
    def is_dangerous(self) -> bool:
        return bool(self.dangerous_goods)


def cargo_profile(hs_codes: Iterable[str], rules: CargoRules | None = None) -> CargoProfile:
    """Classify a load from its HS codes (dots and spaces ignored)."""
    rules = rules or CargoRules()
    codes = tuple("".join(ch for ch in code if ch.isdigit()) for code in hs_codes)
    un_numbers = sorted(
        {
            r.un_number or r.hs_prefix
            for r in rules.dangerous_goods
            for c in codes
            if c.startswith(r.hs_prefix)
        }
    )
    carrier = any(c.startswith(r.hs_prefix) for r in rules.car_carrier for c in codes)
    return CargoProfile(tuple(un_numbers), carrier, codes)


@dataclass(frozen=True, slots=True)
class SlotAssignment:
    slot_id: str
    zone_id: str
    zone_kind: ZoneKind
    exit_distance_m: float
    reason_en: str
    reason_zh: str


@dataclass(frozen=True, slots=True)
class ParkingRefusal:
    """Why no slot was given; the same text for the officer and the driver."""

    code: str
    reason_en: str
    reason_zh: str


def allowed_zone_kinds(layout: YardLayout, cargo: CargoProfile) -> tuple[ZoneKind, ...]:
    """The zone kinds a load may use, in order of preference."""
    if cargo.is_dangerous:
        return (ZoneKind.DANGEROUS_GOODS,)
    if cargo.car_carrier:
        if layout.car_carrier_overflow_to_general:
            return (ZoneKind.CAR_CARRIER, ZoneKind.GENERAL)
        return (ZoneKind.CAR_CARRIER,)
    return (ZoneKind.GENERAL,)


def _nearest_free(zones: Iterable[ParkingZone], occupied: Set[str]) -> Slot | None:
    best: tuple[float, int, str] | None = None
    chosen: Slot | None = None
    for order, zone in enumerate(zones):
        for slot in zone.slots:
            if slot.id in occupied:
                continue
            key = (slot.exit_distance_m, order, slot.id)
            if best is None or key < best:
                best, chosen = key, slot
    return chosen


_KIND_ZH = {
    ZoneKind.GENERAL: "普通停车区",
    ZoneKind.DANGEROUS_GOODS: "危险品停车区",
    ZoneKind.CAR_CARRIER: "商品车运输车停车区",
}


def _why(cargo: CargoProfile, kind: ZoneKind, overflow: bool) -> tuple[str, str]:
    if cargo.is_dangerous:
        un = ", ".join(cargo.dangerous_goods)
        return (
            f"dangerous goods ({un}) park only in the DG zone",
            f"危险货物（{un}）只能停放在危险品停车区",
        )
    if cargo.car_carrier and overflow:
        return (
            "car-carrier zone full; NEV car carrier overflows to the general zone",
            "商品车停车区已满，新能源汽车运输车改停普通停车区",
        )
    if cargo.car_carrier:
        return (
            "NEV car carriers park in the car-carrier zone",
            "新能源汽车运输车停放在商品车停车区",
        )
    return (f"general cargo parks in the {kind.value} zone", f"普通货物停放在{_KIND_ZH[kind]}")


def refusal_for(layout: YardLayout, cargo: CargoProfile) -> ParkingRefusal:
    """The reason `assign_slot` gave nothing: no such zone, or every allowed slot taken."""
    kinds = allowed_zone_kinds(layout, cargo)
    names_en = " or ".join(k.value for k in kinds)
    names_zh = "或".join(_KIND_ZH[k] for k in kinds)
    if not any(layout.zones_of(k) for k in kinds):
        return ParkingRefusal("no_zone", f"the yard has no {names_en} zone", f"堆场没有{names_zh}")
    return ParkingRefusal(
        "zone_full",
        f"the {names_en} zone is full; the truck must wait",
        f"{names_zh}已满，车辆须等候",
    )


def assign_slot(
    layout: YardLayout, occupied: Set[str], cargo: CargoProfile
) -> SlotAssignment | None:
    """The free slot nearest the exit in the first allowed zone kind that has one; None when
    full (ask `refusal_for` for the reason)."""
    for rank, kind in enumerate(allowed_zone_kinds(layout, cargo)):
        slot = _nearest_free(layout.zones_of(kind), occupied)
        if slot is None:
            continue
        en, zh = _why(cargo, kind, overflow=rank > 0)
        metres = slot.exit_distance_m
        return SlotAssignment(
            slot.id,
            slot.zone_id,
            kind,
            slot.exit_distance_m,
            f"{en}; slot {slot.id} is the free slot nearest the exit ({metres:.0f} m)",
            f"{zh}；{slot.id} 号车位是离出口最近的空闲车位（{metres:.0f} 米）",
        )
    return None


def assign_or_refuse(
    layout: YardLayout, occupied: Set[str], cargo: CargoProfile
) -> SlotAssignment | ParkingRefusal:
    """One call for callers that show either the slot or the reason."""
    return assign_slot(layout, occupied, cargo) or refusal_for(layout, cargo)
