"""A declarant lodges and submits; the API validates everything at once and keeps enterprises
apart. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from builders import CONSIGNOR_USCC, MISSING, valid_container_payload, valid_declaration_payload
from goods import furniture_payload, lithium_ion_payload, primary_lithium_payload
from landport.adapters.db.unit_of_work import request_digest
from landport.declarations.commands import DeclareExport
from landport.enterprises.model import Actor, Role
from landport.entrypoints.web.views import declaration_view
from landport.messagebus import IdempotencyClaim
from landport.shared.clock import FixedClock
from world import OTHER_USCC, World


def assessment_of(world: World, declaration_id: str) -> dict[str, Any]:
    """Customs' risk assessment of a declaration, as an officer reads it (an exporter is
    told the lane only)."""
    read = world.get("officer", f"/api/v1/declarations/{declaration_id}")
    assert read.status_code == 200, read.text
    assessment: dict[str, Any] = read.json()["assessment"]
    return assessment


def test_valid_declaration_is_created_as_draft(world: World) -> None:
    response = world.lodge(lithium_ion_payload())
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["id"] and body["status"] == "draft"
    assert body["number"] is None
    assert body["declaration"]["vehicle_plate"] == "藏D12345"


def test_submit_numbers_assesses_and_routes_to_the_lane(world: World) -> None:
    draft = world.lodge(lithium_ion_payload()).json()
    response = world.post("exporter", f"/api/v1/declarations/{draft['id']}/submit")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["lane"] == "yellow"
    assert body["status"] == "document_check"
    assert len(body["number"]) == 18 and body["number"][8] == "0"  # export flag
    assert "assessment" not in body  # customs keeps why to itself
    assessment = assessment_of(world, body["id"])
    assert assessment["forced_by"] == "R-LI-ION-FIRST"
    assert {r["rule_id"] for r in assessment["fired"]} >= {"R-LI-ION-FIRST", "R-FIRST-TIME"}
    assert assessment["random"]["seed"]
    assert assessment["explanation_zh"] and assessment["explanation_en"]
    statuses = [h["status"] for h in body["history"]]
    assert statuses == ["draft", "declared", "assessed", "document_check"]


def test_green_lane_releases_at_once_with_a_passport(world: World) -> None:
    body = world.lodge(furniture_payload(), submit=True).json()
    assert body["lane"] == "green"
    assert body["status"] == "released"
    assert len(body["passport_digest"]) == 64
    passport = world.get("exporter", f"/api/v1/declarations/{body['id']}/passport").json()
    assert passport["digest_matches"] is True
    assert passport["passport"]["containers"] == ["CSQU3054383"]


def test_every_broken_rule_is_reported_at_once_and_nothing_is_saved(world: World) -> None:
    payload = valid_declaration_payload(
        consignor_uscc="914403001922038217",  # wrong check character
        vehicle_plate="藏DI2345",  # letter I is never issued
        containers=[valid_container_payload(number="CSQU3054384")],  # wrong check digit
        net_kg="99999",  # more than gross
        destination_country=MISSING,
    )
    payload["items"][0]["hs_code"] = "850760"
    response = world.lodge(payload)
    assert response.status_code == 422
    errors = response.json()["errors"]
    fields = {e["field"] for e in errors}
    assert {
        "consignor_uscc",
        "vehicle_plate",
        "containers[0].number",
        "items[0].hs_code",
        "destination_country",
    } <= fields
    assert all(e["message_en"] and e["message_zh"] and e["code"] for e in errors)
    listing = world.get("exporter", "/api/v1/declarations").json()
    assert listing["total"] == 0


def test_a_declarant_may_only_declare_for_its_own_enterprise(world: World) -> None:
    """Or for a client that authorised its enterprise as customs broker (test_agency_api)."""
    response = world.lodge(lithium_ion_payload(), user="competitor")
    assert response.status_code == 422
    assert any(
        e["field"] == "consignor_uscc" and e["code"] == "no_agency_authorisation"
        for e in response.json()["errors"]
    )


def test_an_exporter_cannot_see_another_enterprises_declaration(world: World) -> None:
    mine = world.lodge(lithium_ion_payload()).json()
    theirs = world.lodge(furniture_payload(consignor_uscc=OTHER_USCC), user="competitor")
    assert theirs.status_code == 201, theirs.text
    assert world.get("competitor", f"/api/v1/declarations/{mine['id']}").status_code == 404
    listing = world.get(
        "competitor", "/api/v1/declarations", params={"enterprise_uscc": mine["enterprise_uscc"]}
    ).json()
    assert [d["enterprise_uscc"] for d in listing["items"]] == [OTHER_USCC]
    officer_view = world.get("officer", "/api/v1/declarations").json()
    assert officer_view["total"] == 2


def test_the_lithium_trap_is_a_warning_not_a_refusal(world: World) -> None:
    payload = primary_lithium_payload()
    payload["items"][0]["name"] = "锂离子电池 lithium-ion cells"  # ion name under 8506.50
    response = world.lodge(payload)
    assert response.status_code == 201
    assert any(w["code"] == "lithium_heading_mismatch" for w in response.json()["warnings"])


def test_submitting_twice_is_a_conflict_with_the_reason(world: World) -> None:
    body = world.lodge(lithium_ion_payload(), submit=True).json()
    again = world.post("exporter", f"/api/v1/declarations/{body['id']}/submit")
    assert again.status_code == 409
    assert "document_check" in again.json()["message_en"]
    assert again.json()["message_zh"]


def test_the_same_idempotency_key_creates_one_declaration(world: World) -> None:
    key = {"Idempotency-Key": "order-4711"}
    first = world.post("exporter", "/api/v1/declarations", lithium_ion_payload(), headers=key)
    second = world.post("exporter", "/api/v1/declarations", lithium_ion_payload(), headers=key)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert world.get("exporter", "/api/v1/declarations").json()["total"] == 1
    reused = world.post("exporter", "/api/v1/declarations", furniture_payload(), headers=key)
    assert reused.status_code == 422
    assert reused.json()["errors"][0]["code"] == "idempotency_key_reused"
    submitted = world.post(  # the same body under the same key, now to be submitted
        "exporter", "/api/v1/declarations?submit=true", lithium_ion_payload(), headers=key
    )
    assert submitted.status_code == 422, submitted.text
    assert submitted.json()["errors"][0]["code"] == "idempotency_key_reused"
    assert world.get("exporter", "/api/v1/declarations").json()["total"] == 1


def test_submit_with_an_idempotency_key_assesses_once(world: World) -> None:
    draft = world.lodge(lithium_ion_payload()).json()
    path = f"/api/v1/declarations/{draft['id']}/submit"
    key = {"Idempotency-Key": "submit-1"}
    first = world.post("exporter", path, headers=key)
    second = world.post("exporter", path, headers=key)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json() and "assessment" not in second.json()
    assert [h["status"] for h in second.json()["history"]].count("assessed") == 1


def test_roles_are_checked_on_every_endpoint(world: World) -> None:
    assert world.client.post("/api/v1/declarations", json={}).status_code == 401
    assert world.lodge(lithium_ion_payload(), user="officer").status_code == 403
    body = world.lodge(lithium_ion_payload(), submit=True).json()
    release = world.post("exporter", f"/api/v1/declarations/{body['id']}/release", {})
    assert release.status_code == 403
    assert world.get("exporter", "/api/v1/worklist").status_code == 403
    assert world.get("exporter", "/api/v1/audit/verify").status_code == 403
    bad_token = {"Authorization": "Bearer forged.token"}
    assert world.client.get("/api/v1/me", headers=bad_token).status_code == 401


def test_list_is_filtered_and_paginated(world: World) -> None:
    world.lodge(lithium_ion_payload(), submit=True)  # first-time exporter: yellow
    for _ in range(3):
        world.lodge(furniture_payload(), submit=True)
    page = world.get(
        "officer", "/api/v1/declarations", params={"lane": "green", "page_size": 2}
    ).json()
    assert page["total"] == 3 and len(page["items"]) == 2
    second = world.get(
        "officer", "/api/v1/declarations", params={"lane": "green", "page": 2, "page_size": 2}
    ).json()
    assert len(second["items"]) == 1
    ids = {d["id"] for d in page["items"]} | {d["id"] for d in second["items"]}
    assert len(ids) == 3


def test_a_declarant_sees_only_its_own_enterprise_in_the_register(world: World) -> None:
    mine = world.get("competitor", "/api/v1/enterprises").json()["items"]
    assert [e["uscc"] for e in mine] == [OTHER_USCC]
    assert len(world.get("officer", "/api/v1/enterprises").json()["items"]) == 2


def test_an_exporter_with_earlier_exports_here_is_not_a_first_timer(world: World) -> None:
    """The register brought over from the earlier system knows the enterprise has shipped
    through this port: its first declaration in this database is not a first-time export."""
    uscc = "91330100MA2KXY0016"
    body = {
        "uscc": uscc,
        "name_zh": "杭州老客户家具有限公司",
        "name_en": "Hangzhou Regular Furniture Co.",
        "province": "zhejiang",
        "rating": "general",
        "exports_here_since": "2099-01-01",
    }
    refused = world.post("admin", "/api/v1/enterprises", body)
    assert refused.status_code == 422
    assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [
        ("exports_here_since", "date_in_future")
    ]
    assert "首次出口日期" in refused.json()["errors"][0]["message_zh"]
    assert uscc not in {
        e["uscc"] for e in world.get("officer", "/api/v1/enterprises").json()["items"]
    }
    body["exports_here_since"] = "2024-05-20"
    registered = world.post("admin", "/api/v1/enterprises", body)
    assert registered.status_code == 201, registered.text
    assert registered.json()["exports_here_since"] == "2024-05-20"
    world.add_user("regular", "declarant", enterprise=uscc)
    listed = world.get("regular", "/api/v1/enterprises").json()["items"]
    assert [e["exports_here_since"] for e in listed] == ["2024-05-20"]

    regular = world.lodge(lithium_ion_payload(consignor_uscc=uscc), user="regular", submit=True)
    newcomer = world.lodge(lithium_ion_payload(), submit=True)  # the exporter: none on record
    assert regular.status_code == newcomer.status_code == 201, regular.text
    fired = {r["rule_id"] for r in assessment_of(world, regular.json()["id"])["fired"]}
    assert not fired & {"R-LI-ION-FIRST", "R-FIRST-TIME"} and "R-LI-ION" in fired
    assert assessment_of(world, newcomer.json()["id"])["forced_by"] == "R-LI-ION-FIRST"


def test_the_admin_records_the_export_history_of_a_registered_enterprise(world: World) -> None:
    """The register is migrated after the enterprises: history is recorded later, audited,
    and from then on the enterprise is not a first-time exporter."""
    path = f"/api/v1/enterprises/{CONSIGNOR_USCC}/export-history"
    body = {"exports_here_since": "2023-04-01"}
    assert world.client.put(path, json=body, headers=world.headers("officer")).status_code == 403
    unknown = "/api/v1/enterprises/91440300MA5F00005N/export-history"
    assert world.client.put(unknown, json=body, headers=world.headers("admin")).status_code == 404
    future = {"exports_here_since": "2999-01-01"}
    refused = world.client.put(path, json=future, headers=world.headers("admin"))
    assert (
        refused.status_code == 422 and refused.json()["errors"][0]["field"] == "exports_here_since"
    )
    recorded = world.client.put(path, json=body, headers=world.headers("admin"))
    assert recorded.status_code == 200, recorded.text
    again = world.client.put(path, json=body, headers=world.headers("admin"))
    assert again.status_code == 200
    trail = world.get("auditor", "/api/v1/audit", params={"entity_id": CONSIGNOR_USCC}).json()
    actions = [e["action"] for e in trail["items"]]
    assert actions.count("enterprise.export_history_recorded") == 1  # the same date: no change
    assessed = assessment_of(world, world.lodge(lithium_ion_payload(), submit=True).json()["id"])
    assert assessed["forced_by"] != "R-LI-ION-FIRST"
    assert "R-FIRST-TIME" not in {r["rule_id"] for r in assessed["fired"]}


def test_the_exporter_is_told_the_lane_and_customs_keeps_the_assessment(world: World) -> None:
    """Why a declaration went to its lane (rules fired, scores, the random draw and its seed)
    is customs' own, as the rules are: the exporter reads the lane in every answer."""
    lodged = world.lodge(lithium_ion_payload(), submit=True).json()  # first-time: yellow
    drafted = world.lodge(furniture_payload()).json()
    path = f"/api/v1/declarations/{drafted['id']}/submit"
    submitted = world.post("exporter", path).json()
    read = world.get("exporter", f"/api/v1/declarations/{lodged['id']}").json()
    for body in (lodged, drafted, submitted, read):
        assert "assessment" not in body, body
    assert (lodged["lane"], drafted["lane"], submitted["lane"]) == ("yellow", None, "green")
    assert read["lane"] == "yellow" and read["history"]
    listed = world.get("exporter", "/api/v1/declarations").json()["items"]
    assert len(listed) == 2 and all("risk_score" not in i and i["lane"] for i in listed)
    assert world.get("exporter", "/api/v1/risk/rulesets/current").status_code == 403

    official = world.get("officer", f"/api/v1/declarations/{lodged['id']}").json()
    assert official["lane"] == "yellow"
    assert official["assessment"]["forced_by"] == "R-LI-ION-FIRST"
    assert official["assessment"]["random"]["seed"] and official["assessment"]["fired"]
    officer_list = world.get("officer", "/api/v1/declarations").json()["items"]
    assert all(i["risk_score"] is not None for i in officer_list)


def test_yard_and_border_officers_read_the_lane_but_not_why(world: World) -> None:
    """The yard and the border need the lane, not the rules that chose it: one who knew them
    could coach an exporter out of the red lane. Customs, administrators and auditors read
    the assessment."""
    world.add_user("yard", "yard_operator")
    lodged = world.lodge(lithium_ion_payload(), submit=True).json()
    for who in ("yard", "border"):
        read = world.get(who, f"/api/v1/declarations/{lodged['id']}").json()
        assert read["lane"] == "yellow" and "assessment" not in read, who
        listed = world.get(who, "/api/v1/declarations").json()["items"]
        assert listed and all("risk_score" not in i for i in listed), who
        card = world.get(who, f"/api/v1/screen/trucks/{lodged['id']}").json()
        assert card["declaration"]["lane"] == "yellow", who
        assert "assessment" not in card["declaration"], who
    for who in ("officer", "admin", "auditor"):
        read = world.get(who, f"/api/v1/declarations/{lodged['id']}").json()
        assert read["assessment"]["forced_by"] == "R-LI-ION-FIRST", who
        card = world.get(who, f"/api/v1/screen/trucks/{lodged['id']}").json()
        assert card["declaration"]["assessment"]["forced_by"] == "R-LI-ION-FIRST", who


def test_an_idempotent_replay_tells_the_exporter_the_lane_only(world: World) -> None:
    """Also a response remembered with the assessment in it, as responses once were."""
    key = {"Idempotency-Key": "lodge-and-submit-1"}
    path = "/api/v1/declarations?submit=true"
    first = world.post("exporter", path, lithium_ion_payload(), headers=key)
    again = world.post("exporter", path, lithium_ion_payload(), headers=key)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and "assessment" not in again.json()

    exporter = Actor("exporter", Role.DECLARANT, CONSIGNOR_USCC)
    payload = furniture_payload()
    remembered_whole = IdempotencyClaim(
        "exporter", "declare:True", "older-1", request_digest(payload), 201, declaration_view
    )
    world.services.bus.handle(DeclareExport(exporter, payload, submit=True), remembered_whole)
    replayed = world.post("exporter", path, payload, headers={"Idempotency-Key": "older-1"})
    assert replayed.status_code == 201 and replayed.json()["lane"] == "green"
    assert "assessment" not in replayed.json()
    official = world.get("officer", f"/api/v1/declarations/{replayed.json()['id']}").json()
    assert official["assessment"]["fired"] is not None


def test_a_submission_replayed_under_its_key_tells_the_exporter_the_lane_only(
    world: World,
) -> None:
    """The whole declaration is remembered under the key; the replay is filtered as the
    first answer was."""
    draft = world.lodge(lithium_ion_payload()).json()
    path, key = f"/api/v1/declarations/{draft['id']}/submit", {"Idempotency-Key": "submit-1"}
    first = world.post("exporter", path, headers=key)
    again = world.post("exporter", path, headers=key)
    assert first.status_code == again.status_code == 200, again.text
    assert first.json() == again.json() and "assessment" not in again.json()
    assert again.json()["lane"] == "yellow"


def test_a_declaration_submitted_just_after_midnight_in_beijing_is_of_the_new_year(
    database_url: str,
) -> None:
    """00:30 on 1 January in Beijing is still 31 December in UTC: the number's year (and its
    yearly serial) is Beijing's, as on every Chinese customs record."""
    clock = FixedClock(datetime(2025, 12, 31, 16, 30, tzinfo=UTC))
    w = World(database_url, clock=clock)
    try:
        draft = w.lodge(furniture_payload()).json()
        submitted = w.post("exporter", f"/api/v1/declarations/{draft['id']}/submit").json()
        assert submitted["number"][4:8] == "2026" and submitted["number"].endswith("000000001")
    finally:
        w.close()
