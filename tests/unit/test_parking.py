"""Overnight parking: dangerous goods, car carriers and general cargo each get their zone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from landport.yard.model import YardLayout, ZoneKind, yard_from_document
from landport.yard.parking import (
    ParkingRefusal,
    assign_or_refuse,
    assign_slot,
    cargo_profile,
    refusal_for,
)

DATA = Path(__file__).resolve().parents[2] / "src" / "landport" / "data" / "yard.json"


@pytest.fixture(scope="module")
def layout() -> YardLayout:
    return yard_from_document(json.loads(DATA.read_text(encoding="utf-8")))


def all_slots(layout: YardLayout, kind: ZoneKind) -> set[str]:
    return {s.id for z in layout.zones_of(kind) for s in z.slots}


def test_lithium_batteries_are_dangerous_goods_and_go_to_the_dg_zone(layout: YardLayout) -> None:
    cargo = cargo_profile(["8507.60.0020"])
    assert cargo.dangerous_goods == ("UN3480",)
    slot = assign_slot(layout, set(), cargo)
    assert slot is not None and slot.zone_kind is ZoneKind.DANGEROUS_GOODS
    assert slot.slot_id == "DG-01"
    assert "UN3480" in slot.reason_en and "危险" in slot.reason_zh


def test_primary_lithium_batteries_are_un3090(layout: YardLayout) -> None:
    assert cargo_profile(["8506500000"]).dangerous_goods == ("UN3090",)


def test_one_dg_line_sends_a_mixed_load_to_the_dg_zone(layout: YardLayout) -> None:
    slot = assign_slot(layout, set(), cargo_profile(["9403200000", "8507600090"]))
    assert slot is not None and slot.zone_kind is ZoneKind.DANGEROUS_GOODS


def test_general_cargo_never_parks_in_the_dg_zone_even_when_general_is_full(
    layout: YardLayout,
) -> None:
    carpets = cargo_profile(["5701100000"])
    assert not carpets.is_dangerous and not carpets.car_carrier
    slot = assign_slot(layout, set(), carpets)
    assert slot is not None and slot.zone_kind is ZoneKind.GENERAL
    assert assign_slot(layout, all_slots(layout, ZoneKind.GENERAL), carpets) is None


def test_the_free_slot_nearest_the_exit_is_taken_first(layout: YardLayout) -> None:
    slot = assign_slot(layout, {"G-001", "G-002"}, cargo_profile(["6109100000"]))
    assert slot is not None and slot.slot_id == "G-003"


def test_nevs_on_car_carriers_park_in_the_car_carrier_zone(layout: YardLayout) -> None:
    slot = assign_slot(layout, set(), cargo_profile(["8703800000"]))
    assert slot is not None and slot.zone_kind is ZoneKind.CAR_CARRIER
    assert slot.slot_id == "CC-01"


def test_a_full_car_carrier_zone_overflows_to_general_never_to_dg(layout: YardLayout) -> None:
    occupied = all_slots(layout, ZoneKind.CAR_CARRIER)
    slot = assign_slot(layout, occupied, cargo_profile(["8703800000"]))
    assert slot is not None and slot.zone_kind is ZoneKind.GENERAL
    assert "overflow" in slot.reason_en


def test_without_overflow_a_full_car_carrier_zone_refuses(layout: YardLayout) -> None:
    from dataclasses import replace

    strict = replace(layout, car_carrier_overflow_to_general=False)
    cargo = cargo_profile(["8703800000"])
    assert assign_slot(strict, all_slots(strict, ZoneKind.CAR_CARRIER), cargo) is None


def test_a_full_zone_refuses_with_a_reason_in_both_languages(layout: YardLayout) -> None:
    cargo = cargo_profile(["8507600010"])
    occupied = all_slots(layout, ZoneKind.DANGEROUS_GOODS)
    assert assign_slot(layout, occupied, cargo) is None
    refusal = assign_or_refuse(layout, occupied, cargo)
    assert isinstance(refusal, ParkingRefusal)
    assert refusal.code == "zone_full"
    assert "dangerous_goods zone is full" in refusal.reason_en
    assert "危险品停车区已满" in refusal.reason_zh


def test_a_yard_without_a_dg_zone_says_so(layout: YardLayout) -> None:
    from dataclasses import replace

    no_dg = replace(layout, zones=layout.zones_of(ZoneKind.GENERAL))
    refusal = refusal_for(no_dg, cargo_profile(["8507600010"]))
    assert refusal.code == "no_zone"


def test_the_same_yard_state_always_gives_the_same_slot(layout: YardLayout) -> None:
    occupied = {"G-001", "G-005", "DG-01"}
    cargo = cargo_profile(["9401000000"])
    assert assign_slot(layout, occupied, cargo) == assign_slot(layout, set(occupied), cargo)
