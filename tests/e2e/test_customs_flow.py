"""The customs officer works the queue: checks, scans, examinations, decisions, passports."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from goods import furniture_payload, lithium_ion_payload, primary_lithium_payload
from landport.shared.clock import FixedClock
from world import World

T0 = datetime(2026, 5, 12, 9, 0, tzinfo=UTC)


def _at(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    """The port's clock stands at T0 when the goods are declared; each record is sent once
    its inspection has finished (`_record` moves the clock on), as an officer sends it."""
    w = World(database_url, clock=FixedClock(T0))
    w.without_random_selection()
    yield w
    w.close()


def _record(world: World, declaration_id: str, **body: Any) -> Any:
    _finished(world, body)
    return world.post("officer", f"/api/v1/declarations/{declaration_id}/inspections", body)


def _finished(world: World, body: dict[str, Any]) -> None:
    """Move the port's clock to the end of the inspection the body records."""
    clock = world.services.clock
    assert isinstance(clock, FixedClock)
    try:
        finished = datetime.fromisoformat(body["finished_at"])
    except (KeyError, TypeError, ValueError):
        return
    if finished.tzinfo is not None and finished > clock.now():
        clock.advance(finished - clock.now())


def _decide(world: World, declaration_id: str, decision: str, reason: str | None = None) -> Any:
    return world.post(
        "officer", f"/api/v1/declarations/{declaration_id}/{decision}", {"reason": reason}
    )


def _scan(world: World, declaration_id: str, result: str, minute: int = 0) -> Any:
    image = hashlib.sha256(f"scan-{declaration_id}-{minute}".encode()).hexdigest()
    return _record(
        world,
        declaration_id,
        kind="scan",
        result=result,
        started_at=_at(minute),
        finished_at=_at(minute + 2),
        image_sha256=image,
        equipment_id="NII-1",
    )


def test_red_lane_cannot_be_released_before_any_examination(world: World) -> None:
    d = world.lodge(primary_lithium_payload(), submit=True).json()
    assert (d["lane"], d["status"]) == ("red", "examination")
    refused = _decide(world, d["id"], "release")
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["code"] == "examination_missing"


def test_suspicious_scan_requires_a_physical_examination_before_release(world: World) -> None:
    d = world.lodge(primary_lithium_payload(), submit=True).json()
    assert _scan(world, d["id"], "suspicious").status_code == 201
    refused = _decide(world, d["id"], "release")
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["code"] == "physical_examination_required"
    exam = _record(
        world,
        d["id"],
        kind="physical_examination",
        result="conform",
        started_at=_at(10),
        finished_at=_at(40),
        findings="opened 3 cartons: CR2032 cells as declared, UN3090 marks present",
    )
    assert exam.status_code == 201, exam.text
    released = _decide(world, d["id"], "release", "examined, conform")
    assert released.status_code == 200, released.text
    body = released.json()
    assert body["status"] == "released"
    passport = world.get("officer", f"/api/v1/declarations/{d['id']}/passport").json()
    assert passport["digest_matches"] is True
    kinds = [i["kind"] for i in passport["passport"]["inspections"]]
    assert kinds == ["scan", "physical_examination"]
    assert passport["digest"] == body["passport_digest"]


def test_a_scan_needs_its_image_digest(world: World) -> None:
    d = world.lodge(primary_lithium_payload(), submit=True).json()
    response = _record(
        world, d["id"], kind="scan", result="clear", started_at=_at(0), finished_at=_at(2)
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "image_sha256"


def test_yellow_lane_released_after_a_conform_document_check(world: World) -> None:
    d = world.lodge(lithium_ion_payload(), submit=True).json()
    assert d["status"] == "document_check"
    check = _record(
        world,
        d["id"],
        kind="document_check",
        result="conform",
        started_at=_at(0),
        finished_at=_at(3),
        findings="UN38.3 summary and packing list match",
    )
    assert check.status_code == 201
    assert _decide(world, d["id"], "release").json()["status"] == "released"


def test_a_retried_inspection_record_is_recorded_once(world: World) -> None:
    """The officer's tablet lost the answer and sent the record again under its key: one
    record in the passport, the same answer twice; another body under that key is refused."""
    d = world.lodge(lithium_ion_payload(), submit=True).json()
    path = f"/api/v1/declarations/{d['id']}/inspections"
    body = {"kind": "document_check", "result": "conform", "started_at": _at(0),
            "finished_at": _at(3), "findings": "packing list matches"}  # fmt: skip
    key = {"Idempotency-Key": "tablet-7-record-1"}
    _finished(world, body)
    first = world.post("officer", path, body, headers=key)
    again = world.post("officer", path, body, headers=key)
    assert first.status_code == again.status_code == 201, again.text
    assert first.json() == again.json()
    other = world.post("officer", path, {**body, "findings": "changed"}, headers=key)
    assert other.status_code == 422
    assert other.json()["errors"][0]["code"] == "idempotency_key_reused"
    released = _decide(world, d["id"], "release")
    assert released.status_code == 200, released.text
    passport = world.get("officer", f"/api/v1/declarations/{d['id']}/passport").json()
    assert [i["kind"] for i in passport["passport"]["inspections"]] == ["document_check"]


def test_document_discrepancy_escalates_to_examination(world: World) -> None:
    d = world.lodge(lithium_ion_payload(), submit=True).json()
    _record(
        world,
        d["id"],
        kind="document_check",
        result="discrepancy",
        started_at=_at(0),
        finished_at=_at(3),
        findings="packing list weight differs by 2 t",
    )
    assert _decide(world, d["id"], "release").status_code == 409
    escalated = world.post(
        "officer", f"/api/v1/declarations/{d['id']}/escalate", {"reason": "weight discrepancy"}
    )
    assert escalated.json()["status"] == "examination"
    assert _scan(world, d["id"], "clear", minute=20).status_code == 201
    assert _decide(world, d["id"], "release").json()["status"] == "released"


def test_hold_needs_a_reason_and_lifting_it_returns_to_the_stage(world: World) -> None:
    d = world.lodge(primary_lithium_payload(), submit=True).json()
    assert _decide(world, d["id"], "hold").status_code == 422
    held = _decide(world, d["id"], "hold", "waiting for the dangerous-goods certificate")
    assert held.json()["status"] == "held"
    assert _decide(world, d["id"], "lift-hold", "certificate received").json()["status"] == (
        "examination"
    )


def test_a_rejected_declaration_is_final(world: World) -> None:
    d = world.lodge(primary_lithium_payload(), submit=True).json()
    assert _decide(world, d["id"], "reject", "undeclared goods found").status_code == 200
    again = _decide(world, d["id"], "release")
    assert again.status_code == 409
    assert "rejected" in again.json()["message_en"]


def test_releasing_twice_is_refused(world: World) -> None:
    d = world.lodge(furniture_payload(), submit=True).json()
    assert d["status"] == "released"
    assert _decide(world, d["id"], "release").status_code == 409


def test_worklist_puts_red_before_yellow_and_explains_the_rules(world: World) -> None:
    world.lodge(lithium_ion_payload(), submit=True)
    world.lodge(primary_lithium_payload(), submit=True)
    world.lodge(furniture_payload(), submit=True)  # green: not on the worklist
    items = world.get("officer", "/api/v1/worklist").json()["items"]
    assert [i["lane"] for i in items] == ["red", "yellow"]
    assert items[0]["fired_rules"][0]["rule_id"] == "R-LI-PRIMARY"
    assert items[0]["explanation_en"]


def test_recorded_assessment_can_be_recomputed_exactly(world: World) -> None:
    d = world.lodge(primary_lithium_payload(), submit=True).json()
    result = world.post("auditor", f"/api/v1/risk/assessments/{d['id']}/recompute").json()
    assert result["identical"] is True
    assert result["recomputed"]["lane"] == "red"


def test_declarant_cancels_a_draft_but_not_a_released_declaration(world: World) -> None:
    draft = world.lodge(lithium_ion_payload()).json()
    path = f"/api/v1/declarations/{draft['id']}/cancel"
    assert world.post("exporter", path, {"reason": "wrong truck"}).json()["status"] == "cancelled"
    released = world.lodge(furniture_payload(), submit=True).json()
    path = f"/api/v1/declarations/{released['id']}/cancel"
    assert world.post("exporter", path, {"reason": "too late"}).status_code == 409


def test_times_without_a_zone_are_refused_not_crashed(world: World) -> None:
    d = world.lodge(primary_lithium_payload(), submit=True).json()
    naive = _record(
        world,
        d["id"],
        kind="scan",
        result="clear",
        started_at="2026-05-12T09:00:00",
        finished_at="2026-05-12T09:02:00",
        image_sha256="a" * 64,
    )
    assert naive.status_code == 422
    assert {e["field"] for e in naive.json()["errors"]} == {"started_at", "finished_at"}
    listing = world.get(
        "officer", "/api/v1/declarations", params={"created_from": "2026-01-01T00:00:00"}
    )
    assert listing.status_code == 422


def test_lifting_a_hold_after_release_keeps_the_passport_the_seal_carries(world: World) -> None:
    d = world.lodge(furniture_payload(), submit=True).json()
    digest = d["passport_digest"]
    assert _decide(world, d["id"], "hold", "intelligence tip").json()["status"] == "held"
    lifted = _decide(world, d["id"], "lift-hold", "tip unfounded").json()
    assert lifted["status"] == "released" and lifted["passport_digest"] == digest
    passport = world.get("officer", f"/api/v1/declarations/{d['id']}/passport").json()
    assert passport["digest_matches"] is True and passport["digest"] == digest


def test_a_scan_dated_ahead_of_the_clock_or_before_the_declaration_is_refused(
    world: World,
) -> None:
    """Release rests on the records: one finished years ahead, begun before the goods were
    declared or lasting a month is refused naming the field, and nothing is recorded."""
    d = world.lodge(primary_lithium_payload(), submit=True).json()
    path = f"/api/v1/declarations/{d['id']}/inspections"
    image = hashlib.sha256(b"scan").hexdigest()
    scan = {"kind": "scan", "result": "clear", "image_sha256": image}
    cases = {
        "finished_in_future": (_at(60 * 24 * 365 * 4), _at(60 * 24 * 365 * 4 + 10)),
        "started_before_declared": ("2001-12-01T05:00:00+00:00", _at(2)),
        "inspection_too_long": (_at(-60 * 24 * 30), _at(0)),
    }
    for code, (started, finished) in cases.items():
        refused = world.post("officer", path, {**scan, "started_at": started,
                                               "finished_at": finished})  # fmt: skip
        assert refused.status_code == 422, refused.text
        assert code in [e["code"] for e in refused.json()["errors"]], refused.text
        assert all(e["message_zh"] for e in refused.json()["errors"])
    assert _decide(world, d["id"], "release").status_code == 409  # still no examination
    passport = world.get("officer", f"/api/v1/declarations/{d['id']}/passport")
    assert passport.status_code != 200 or passport.json()["passport"]["inspections"] == []
