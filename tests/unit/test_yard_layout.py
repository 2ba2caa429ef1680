"""The yard layout is read from an operator-editable file; a bad file names every problem."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import pytest

from landport.shared.errors import InvalidInput
from landport.yard.model import ZoneKind, display_name, open_at, yard_from_document

DATA = Path(__file__).resolve().parents[2] / "src" / "landport" / "data" / "yard.json"


def document() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(DATA.read_text(encoding="utf-8"))
    return copy.deepcopy(doc)


def test_the_packaged_yard_has_every_kind_of_resource_and_zone() -> None:
    layout = yard_from_document(document())
    assert {g.direction for g in layout.gates} == {"in", "out"}
    assert {lane.kind for lane in layout.scan_lanes} == {"portal", "drive_through"}
    assert all(2 <= lane.service_minutes <= 3 for lane in layout.scan_lanes)
    assert layout.exam_bays and layout.sealing_stations
    assert {z.kind for z in layout.zones} == set(ZoneKind)
    assert layout.slot("DG-01") is not None and layout.slot("DG-01").zone_id == "dangerous-goods"


def test_slots_are_numbered_nearest_to_the_exit_first() -> None:
    zone = yard_from_document(document()).zones_of(ZoneKind.GENERAL)[0]
    distances = [s.exit_distance_m for s in zone.slots]
    assert distances == sorted(distances)
    assert zone.slots[0].id == "G-001"


def test_opening_hours_are_beijing_time_and_midnight_closes_the_day() -> None:
    layout = yard_from_document(document())
    exit_gate = next(g for g in layout.gates if g.direction == "out")
    assert exit_gate.hours[0][0] == time(6, 0)
    assert open_at(exit_gate.hours, datetime(2026, 5, 1, 22, 30, tzinfo=UTC))  # 06:30 Beijing
    assert not open_at(exit_gate.hours, datetime(2026, 5, 1, 21, 30, tzinfo=UTC))  # 05:30
    general = layout.zones_of(ZoneKind.GENERAL)[0]
    assert open_at(general.hours, datetime(2026, 5, 1, 15, 59, tzinfo=UTC))  # 23:59 Beijing


def test_a_bad_document_lists_every_problem_in_both_languages() -> None:
    doc = document()
    doc["gates"] = [{"id": "gate-in-1", "direction": "sideways", "hours": [["18:00", "08:00"]]}]
    doc["scan_lanes"][0]["kind"] = "x-ray-balloon"
    doc["parking_zones"][1]["slots"] = 0
    doc["exam_bays"][1]["id"] = doc["exam_bays"][0]["id"]
    with pytest.raises(InvalidInput) as caught:
        yard_from_document(doc)
    fields = {(v.field, v.code) for v in caught.value.violations}
    assert ("gates[0].direction", "unknown_value") in fields
    assert ("gates[0].hours[0]", "bad_hours") in fields
    assert ("gates", "no_exit_gate") in fields
    assert ("scan_lanes[0].kind", "unknown_value") in fields
    assert ("parking_zones[1].slots", "out_of_range") in fields
    assert ("exam_bays[1].id", "duplicate") in fields
    assert all(v.message_en and v.message_zh for v in caught.value.violations)


def test_a_yard_without_a_way_in_is_refused() -> None:
    doc = document()
    doc["gates"] = [g for g in doc["gates"] if g["direction"] == "out"]
    with pytest.raises(InvalidInput) as caught:
        yard_from_document(doc)
    (refused,) = caught.value.violations
    assert (refused.field, refused.code) == ("gates", "no_entry_gate")
    assert refused.message_zh == "堆场至少需要一个入口闸门"


def test_a_yard_without_a_general_zone_is_refused() -> None:
    doc = document()
    doc["parking_zones"] = [z for z in doc["parking_zones"] if z["kind"] != "general"]
    with pytest.raises(InvalidInput) as caught:
        yard_from_document(doc)
    assert [v.code for v in caught.value.violations] == ["no_general_zone"]


def test_departure_rules_and_capacities_come_from_the_file() -> None:
    rules = yard_from_document(document()).departures
    assert (rules.earliest, rules.latest) == (time(6, 0), time(12, 0))
    assert set(rules.daily_truck_capacity) == {"gyirong-port", "zhangmu-port", "lizi-port"}


def test_gates_lanes_and_stations_carry_the_names_on_their_signs() -> None:
    layout = yard_from_document(document())
    named = [*layout.gates, *layout.scan_lanes, *layout.exam_bays, *layout.sealing_stations]
    assert all(r.name_en and r.name_zh for r in named)
    portal = layout.scan_lanes[0]
    assert display_name(portal, "zh-CN") == "1号机检通道（门式）"
    assert display_name(portal, "en") == "Scan Lane 1 (portal)"
    doc = document()
    doc["exam_bays"][0].pop("name_en")
    del doc["exam_bays"][1]["name_en"], doc["exam_bays"][1]["name_zh"]
    first, second = yard_from_document(doc).exam_bays
    assert display_name(first, "en") == first.name_zh  # the other language's sign
    assert display_name(second, "en") == second.id == "exam-bay-2"  # unnamed: its id


def test_a_name_must_be_a_short_text() -> None:
    doc = document()
    doc["gates"][0]["name_en"] = " "
    doc["scan_lanes"][1]["name_zh"] = "机" * 41
    doc["sealing_stations"][0]["name_en"] = 7
    doc["exam_bays"][0]["name_en"] = "Bay\n1"
    doc["sealing_stations"][1]["name_zh"] = doc["exam_bays"][1]["name_zh"]  # one sign twice
    with pytest.raises(InvalidInput) as exc:
        yard_from_document(doc)
    assert {(v.field, v.code) for v in exc.value.violations} == {
        ("gates[0].name_en", "bad_name"),
        ("scan_lanes[1].name_zh", "bad_name"),
        ("sealing_stations[0].name_en", "bad_name"),
        ("exam_bays[0].name_en", "bad_name"),
        ("sealing_stations[1].name_zh", "duplicate_name"),
    }
    bad = [v for v in exc.value.violations if v.code == "bad_name"]
    assert all("40" in v.message_en and "40" in v.message_zh for v in bad)
