"""A customs broker (报关企业) declares for its client under the client's authorisation
(代理报关委托书), recorded by a port administrator. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from builders import CONSIGNOR_USCC, make_uscc, valid_declaration_payload
from goods import furniture_payload
from landport.adapters.db.repositories import SqlAgencyAuthorisationRepository
from landport.adapters.db.screen_queries import owner_of
from landport.adapters.live_events import LiveEventHub
from landport.enterprises.model import Actor, Role
from landport.entrypoints.web.routers import custody as custody_router
from landport.entrypoints.web.routers import yard as yard_router
from landport.shared.clock import BEIJING, FixedClock
from landport.shared.errors import Conflict
from world import OTHER_USCC, World

BROKER_USCC = make_uscc("91330100MA2B00001")
AUTHORISATIONS = "/api/v1/agency-authorisations"


def today() -> date:
    return datetime.now(BEIJING).date()


def with_broker(world: World) -> World:
    """A customs broker of poor credit (its rating must not drive its clients' risk)."""
    world.add_enterprise(BROKER_USCC, rating="untrusted")
    world.add_user("broker", "declarant", enterprise=BROKER_USCC)
    return world


def authorise(world: World, valid_from: date, valid_to: date) -> dict[str, Any]:
    body = {
        "consignor_uscc": CONSIGNOR_USCC,
        "agent_uscc": BROKER_USCC,
        "valid_from": valid_from.isoformat(),
        "valid_to": valid_to.isoformat(),
    }
    response = world.post("admin", AUTHORISATIONS, body)
    assert response.status_code == 201, response.text
    found: dict[str, Any] = response.json()
    return found


def revoke(world: World, authorisation_id: str, user: str = "admin") -> Any:
    path = f"{AUTHORISATIONS}/{authorisation_id}/revoke"
    return world.post(user, path, {"reason": "委托书到期前解除 contract ended"})


def client_payload() -> dict[str, Any]:
    payload = valid_declaration_payload(consignor_uscc=CONSIGNOR_USCC)
    payload["declaring_agent_uscc"] = OTHER_USCC  # never trusted: the agent is the actor's
    return payload


def test_an_authorised_broker_lodges_for_its_client_and_both_see_it(world: World) -> None:
    with_broker(world)
    authorise(world, today() - timedelta(days=1), today() + timedelta(days=30))
    response = world.lodge(client_payload(), user="broker")
    assert response.status_code == 201, response.text
    lodged = response.json()
    assert lodged["enterprise_uscc"] == CONSIGNOR_USCC
    assert lodged["declaring_agent_uscc"] == BROKER_USCC
    assert lodged["declarant"] == "broker"
    path = f"/api/v1/declarations/{lodged['id']}"
    for user in ("broker", "exporter"):
        read = world.get(user, path)
        assert read.status_code == 200, (user, read.text)
        assert read.json()["declaring_agent_uscc"] == BROKER_USCC
        assert "assessment" not in read.json()
        listing = world.get(user, "/api/v1/declarations").json()
        assert [d["id"] for d in listing["items"]] == [lodged["id"]], user
        assert listing["items"][0]["declaring_agent_uscc"] == BROKER_USCC
    # a third enterprise sees nothing, whatever it asks for
    assert world.get("competitor", path).status_code == 404
    assert world.get("competitor", f"{path}/passport").status_code == 404
    listing = world.get(
        "competitor", "/api/v1/declarations", params={"enterprise_uscc": CONSIGNOR_USCC}
    ).json()
    assert listing["total"] == 0
    # the broker's own listing stays its own even when it asks for another enterprise's
    other = world.lodge(valid_declaration_payload(consignor_uscc=CONSIGNOR_USCC))
    assert other.status_code == 201
    listing = world.get(
        "broker", "/api/v1/declarations", params={"enterprise_uscc": CONSIGNOR_USCC}
    ).json()
    assert [d["id"] for d in listing["items"]] == [lodged["id"]]
    assert world.get("broker", f"/api/v1/declarations/{other.json()['id']}").status_code == 404
    audit = world.get("auditor", f"/api/v1/audit?entity_id={lodged['id']}").json()["items"]
    assert [(e["action"], e["actor"]) for e in audit] == [("declaration.lodged", "broker")]


def test_the_consignors_credit_drives_the_risk_of_a_brokers_declaration(world: World) -> None:
    with_broker(world)
    authorise(world, today(), today())
    lodged = world.lodge(client_payload(), user="broker").json()
    submitted = world.post("broker", f"/api/v1/declarations/{lodged['id']}/submit")
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["lane"] is not None
    assert "assessment" not in submitted.json()  # customs' reasons stay hidden from brokers
    read = world.get("officer", f"/api/v1/declarations/{lodged['id']}").json()
    facts = read["assessment"]["facts"]
    assert facts["consignor_uscc"] == CONSIGNOR_USCC
    assert facts["enterprise_rating"] == "general"  # the consignor's, not the broker's


@pytest.mark.parametrize("authorisation", ["none", "expired", "future", "revoked", "other"])
def test_a_broker_without_a_valid_authorisation_is_refused_and_nothing_is_stored(
    world: World, authorisation: str
) -> None:
    with_broker(world)
    day = timedelta(days=1)
    if authorisation == "expired":
        authorise(world, today() - 30 * day, today() - day)
    elif authorisation == "future":
        authorise(world, today() + day, today() + 30 * day)
    elif authorisation == "revoked":
        found = authorise(world, today() - day, today() + day)
        assert revoke(world, found["id"]).status_code == 200
    elif authorisation == "other":  # the consignor authorised someone else
        body = {
            "consignor_uscc": CONSIGNOR_USCC,
            "agent_uscc": OTHER_USCC,
            "valid_from": today().isoformat(),
            "valid_to": today().isoformat(),
        }
        assert world.post("admin", AUTHORISATIONS, body).status_code == 201
    response = world.lodge(client_payload(), user="broker", submit=True)
    assert response.status_code == 422, response.text
    refused = [e for e in response.json()["errors"] if e["field"] == "consignor_uscc"]
    assert [e["code"] for e in refused] == ["no_agency_authorisation"]
    assert BROKER_USCC in refused[0]["message_en"] and refused[0]["message_zh"]
    assert world.get("officer", "/api/v1/declarations").json()["total"] == 0
    check = world.post("broker", "/api/v1/declarations/check", client_payload()).json()
    assert check["valid"] is False
    assert "no_agency_authorisation" in {e["code"] for e in check["errors"]}


def test_a_declarant_of_an_unauthorised_enterprise_is_refused_as_before(world: World) -> None:
    response = world.lodge(valid_declaration_payload(), user="competitor")
    assert response.status_code == 422
    assert [e["code"] for e in response.json()["errors"] if e["field"] == "consignor_uscc"] == [
        "no_agency_authorisation"
    ]


def test_an_exporter_lodging_for_itself_has_no_agent(world: World) -> None:
    with_broker(world)
    response = world.lodge(client_payload())
    assert response.status_code == 201, response.text
    assert response.json()["declaring_agent_uscc"] is None
    assert world.get("broker", f"/api/v1/declarations/{response.json()['id']}").status_code == 404


def test_after_revocation_the_broker_can_no_longer_submit_or_cancel(world: World) -> None:
    with_broker(world)
    found = authorise(world, today(), today() + timedelta(days=5))
    lodged = world.lodge(client_payload(), user="broker").json()
    assert revoke(world, found["id"]).status_code == 200
    path = f"/api/v1/declarations/{lodged['id']}"
    for action, body in (("submit", None), ("cancel", {"reason": "wrong truck"})):
        response = world.post("broker", f"{path}/{action}", body)
        assert response.status_code == 422, (action, response.text)
        assert response.json()["errors"][0]["code"] == "no_agency_authorisation"
    assert world.get("broker", path).json()["status"] == "draft"  # it lodged it: still seen
    # the consignor itself may go on
    assert world.post("exporter", f"{path}/submit").status_code == 200


def test_authorisations_are_recorded_listed_and_revoked_by_a_port_admin_and_audited(
    world: World,
) -> None:
    with_broker(world)
    found = authorise(world, today(), today() + timedelta(days=90))
    assert found["recorded_by"] == "admin" and found["revoked_at"] is None
    listing = world.get("admin", AUTHORISATIONS, params={"agent_uscc": BROKER_USCC}).json()
    assert [a["id"] for a in listing["items"]] == [found["id"]]
    revoked = revoke(world, found["id"])
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_by"] == "admin"
    assert revoke(world, found["id"]).status_code == 409  # once only
    assert revoke(world, "no-such-id").status_code == 404
    entries = world.get("auditor", f"/api/v1/audit?entity_id={found['id']}").json()["items"]
    assert [e["action"] for e in entries] == [
        "agency_authorisation.recorded",
        "agency_authorisation.revoked",
    ]
    assert all(e["actor"] == "admin" for e in entries)
    assert entries[1]["detail"] == "委托书到期前解除 contract ended"
    assert world.get("auditor", "/api/v1/audit/verify").json()["intact"] is True


def test_a_double_submission_records_one_authorisation_and_renewals_follow_on(
    world: World,
) -> None:
    """Overlapping authorisations of one pair are refused: revoking the one in force must
    stop the broker, which an overlapping twin (a double click, say) would have kept
    covering."""
    with_broker(world)
    first = authorise(world, today(), today() + timedelta(days=30))
    body = {
        "consignor_uscc": CONSIGNOR_USCC,
        "agent_uscc": BROKER_USCC,
        "valid_from": (today() + timedelta(days=30)).isoformat(),
        "valid_to": (today() + timedelta(days=90)).isoformat(),
    }
    twice = world.post("admin", AUTHORISATIONS, body)
    assert twice.status_code == 422, twice.text
    (error,) = twice.json()["errors"]
    assert (error["field"], error["code"]) == ("valid_from", "overlaps_authorisation")
    assert first["id"] in error["message_en"] and "续期" in error["message_zh"]
    renewal = authorise(world, today() + timedelta(days=31), today() + timedelta(days=90))
    listing = world.get("admin", AUTHORISATIONS, params={"agent_uscc": BROKER_USCC}).json()
    assert sorted(a["id"] for a in listing["items"]) == sorted([first["id"], renewal["id"]])
    assert revoke(world, first["id"]).status_code == 200
    again = authorise(world, today(), today() + timedelta(days=30))  # replaces the revoked one
    assert again["id"] != first["id"]


def test_of_two_concurrent_revocations_only_the_first_is_recorded(world: World) -> None:
    """Both read the authorisation unrevoked; the second to write finds it revoked."""
    with_broker(world)
    found = authorise(world, today(), today() + timedelta(days=5))
    with world.services.engine.begin() as conn:
        repo = SqlAgencyAuthorisationRepository(conn)
        stale = repo.get(found["id"])
        assert stale is not None
    assert revoke(world, found["id"]).status_code == 200
    stale.revoked_at, stale.revoked_by = datetime.now(BEIJING), "admin2"
    stale.revocation_reason = "late"
    with pytest.raises(Conflict), world.services.engine.begin() as conn:
        SqlAgencyAuthorisationRepository(conn).save_revocation(stale)
    listed = world.get("admin", AUTHORISATIONS, params={"agent_uscc": BROKER_USCC}).json()
    assert listed["items"][0]["revoked_by"] == "admin"


@pytest.mark.parametrize("user", ["exporter", "broker", "officer", "auditor"])
def test_only_a_port_admin_may_touch_authorisations(world: World, user: str) -> None:
    with_broker(world)
    found = authorise(world, today(), today())
    body = {
        "consignor_uscc": CONSIGNOR_USCC,
        "agent_uscc": BROKER_USCC,
        "valid_from": today().isoformat(),
        "valid_to": today().isoformat(),
    }
    assert world.post(user, AUTHORISATIONS, body).status_code == 403
    assert world.get(user, AUTHORISATIONS).status_code == 403
    assert revoke(world, found["id"], user=user).status_code == 403
    assert len(world.get("admin", AUTHORISATIONS).json()["items"]) == 1


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"agent_uscc": make_uscc("91330100MA2B00002")}, "agent_uscc", "enterprise_not_registered"),
        ({"agent_uscc": CONSIGNOR_USCC}, "agent_uscc", "agent_is_consignor"),
        (
            {"valid_to": "2026-01-01", "valid_from": "2026-02-01"},
            "valid_to",
            "valid_to_before_valid_from",
        ),
        ({"valid_from": "1 March"}, "valid_from", "date_from_datetime_parsing"),
    ],
)
def test_a_bad_authorisation_is_refused_naming_the_field_and_rule(
    world: World, change: dict[str, str], field: str, code: str
) -> None:
    with_broker(world)
    body = {
        "consignor_uscc": CONSIGNOR_USCC,
        "agent_uscc": BROKER_USCC,
        "valid_from": today().isoformat(),
        "valid_to": today().isoformat(),
        **change,
    }
    response = world.post("admin", AUTHORISATIONS, body)
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert any(e["field"] == field and e["code"] == code for e in errors), errors
    assert all(e["message_en"] and e["message_zh"] for e in errors)
    assert world.get("admin", AUTHORISATIONS).json()["items"] == []


# --- what hangs off a broker's declaration: the yard, appointments, live events ------------


def pre_advise(world: World, user: str, declaration: dict[str, Any]) -> Any:
    plate = declaration["declaration"]["vehicle_plate"]
    body = {"declaration_id": declaration["id"], "plate": plate}
    return world.post(user, "/api/v1/visits", body)


def test_an_authorised_broker_pre_advises_the_truck_of_its_lodgement(world: World) -> None:
    with_broker(world)
    authorise(world, today(), today() + timedelta(days=5))
    lodged = world.lodge(client_payload(), user="broker").json()
    response = pre_advise(world, "broker", lodged)
    assert response.status_code == 201, response.text
    for user in ("broker", "exporter"):
        assert world.get(user, "/api/v1/visits").json()["total"] == 1, user
    assert world.get("competitor", "/api/v1/visits").json()["total"] == 0


def test_after_revocation_the_broker_may_not_pre_advise_but_the_consignor_may(
    world: World,
) -> None:
    with_broker(world)
    found = authorise(world, today(), today() + timedelta(days=5))
    lodged = world.lodge(client_payload(), user="broker").json()
    assert revoke(world, found["id"]).status_code == 200
    refused = pre_advise(world, "broker", lodged)
    assert refused.status_code == 422, refused.text
    assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [
        ("consignor_uscc", "no_agency_authorisation")
    ]
    assert world.get("officer", "/api/v1/visits").json()["total"] == 0  # nothing stored
    assert pre_advise(world, "competitor", lodged).status_code == 404
    assert pre_advise(world, "exporter", lodged).status_code == 201


def test_the_brokers_declarants_hear_the_live_events_of_its_lodgements(world: World) -> None:
    with_broker(world)
    authorise(world, today(), today())
    hub: LiveEventHub = world.client.app.state.live_events  # type: ignore[attr-defined]
    before = hub.published
    lodged = world.lodge(client_payload(), user="broker", submit=True).json()
    recent = list(hub._recent)[-(hub.published - before) :]
    assert recent[0].type == "declaration.lodged"
    assert {(e.enterprise_uscc, e.agent_uscc) for e in recent} == {(CONSIGNOR_USCC, BROKER_USCC)}
    broker = Actor("broker", Role.DECLARANT, BROKER_USCC)
    exporter = Actor("exporter", Role.DECLARANT, CONSIGNOR_USCC)
    competitor = Actor("competitor", Role.DECLARANT, OTHER_USCC)
    assert all(e.visible_to(broker) and e.visible_to(exporter) for e in recent)
    assert not any(e.visible_to(competitor) for e in recent)
    # what is not told at lodging (a trip, a visit) is looked up with both enterprises
    engine = world.services.read_engine
    assert owner_of(engine, lodged["id"], None) == (CONSIGNOR_USCC, BROKER_USCC)
    own = world.lodge(valid_declaration_payload()).json()
    assert owner_of(engine, own["id"], None) == (CONSIGNOR_USCC, None)


def test_a_declarant_without_an_enterprise_lists_no_visits_or_trips(world: World) -> None:
    """No such user can be created today; were one to appear, an enterprise of None must
    not be taken for "no filter" (which is what officials get)."""
    lodged = world.lodge(furniture_payload(), submit=True).json()
    assert lodged["status"] == "released", lodged
    assert pre_advise(world, "exporter", lodged).status_code == 201
    seal = {"seal_id": "EL-0042", "vendor": "generic", "protocol": "json-mqtt", "secret": "k" * 20}
    assert world.post("officer", "/api/v1/seals", seal).status_code == 201
    trip = {"seal_id": "EL-0042", "declaration_id": lodged["id"], "route_id": "shigatse-gyirong"}
    assert world.post("officer", "/api/v1/trips", trip).status_code == 201
    services, nobody = world.services, Actor("nobody", Role.DECLARANT, None)
    officer = Actor("officer", Role.CUSTOMS_OFFICER)
    assert yard_router.visits(services, officer)["total"] == 1
    assert yard_router.visits(services, nobody)["total"] == 0
    assert custody_router.trips(services, officer)["total"] == 1
    assert custody_router.trips(services, nobody)["total"] == 0


@pytest.fixture
def clocked(database_url: str) -> Iterator[tuple[World, FixedClock]]:
    """A port with a broker, on a clock of its own: Monday 2026-05-04, 08:00 in Beijing."""
    clock = FixedClock(datetime(2026, 5, 4, 0, 0, tzinfo=UTC))
    w = World(database_url, clock=clock)
    w.without_random_selection()
    yield with_broker(w), clock
    w.close()


BAY = "exam-bay-1"  # sells 10:00, 11:00 and 14:00-17:00 Beijing time


def book(world: World, user: str, declaration_id: str, hour: int = 14) -> Any:
    slot = f"2026-05-05T{hour:02d}:00:00+08:00"
    body = {"declaration_id": declaration_id, "resource_id": BAY, "slot_start": slot}
    return world.post(user, "/api/v1/appointments", body)


def appointment_ids(world: World, user: str) -> list[str]:
    return [a["id"] for a in world.get(user, "/api/v1/appointments").json()["items"]]


def test_a_broker_books_for_its_lodgement_and_both_see_the_appointment(
    clocked: tuple[World, FixedClock],
) -> None:
    world, _ = clocked
    authorise(world, date(2026, 5, 1), date(2026, 5, 31))
    lodged = world.lodge(client_payload(), user="broker", submit=True).json()
    assert book(world, "competitor", lodged["id"]).status_code == 404
    response = book(world, "broker", lodged["id"])
    assert response.status_code == 201, response.text
    made = response.json()
    assert made["forwarder"] == CONSIGNOR_USCC  # the client's quota and standing
    assert made["declaring_agent_uscc"] == BROKER_USCC
    path = f"/api/v1/appointments/{made['id']}"
    for user in ("broker", "exporter"):
        assert appointment_ids(world, user) == [made["id"]], user
        assert world.get(user, path).status_code == 200, user
    assert appointment_ids(world, "competitor") == []
    assert world.get("competitor", path).status_code == 404
    assert world.post("competitor", f"{path}/cancel").status_code == 404
    slot = {"slot_start": "2026-05-05T15:00:00+08:00"}
    moved = world.post("broker", f"{path}/reschedule", slot)
    assert moved.status_code == 200, moved.text
    cancelled = world.post("broker", f"{path}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"


def test_after_revocation_the_broker_may_not_book_move_or_cancel(
    clocked: tuple[World, FixedClock],
) -> None:
    world, _ = clocked
    found = authorise(world, date(2026, 5, 1), date(2026, 5, 31))
    first, second = (
        world.lodge(client_payload(), user="broker", submit=True).json() for _ in range(2)
    )
    made = book(world, "broker", first["id"])
    assert made.status_code == 201, made.text
    assert revoke(world, found["id"]).status_code == 200
    path = f"/api/v1/appointments/{made.json()['id']}"
    for response in (
        book(world, "broker", second["id"]),
        world.post("broker", f"{path}/reschedule", {"slot_start": "2026-05-05T15:00:00+08:00"}),
        world.post("broker", f"{path}/cancel"),
    ):
        assert response.status_code == 422, response.text
        assert [e["code"] for e in response.json()["errors"]] == ["no_agency_authorisation"]
    assert world.get("broker", path).json()["status"] == "booked"  # still seen, unchanged
    assert appointment_ids(world, "admin") == [made.json()["id"]]  # nothing new stored
    # the consignor itself may go on
    assert world.post("exporter", f"{path}/cancel").status_code == 200
    assert book(world, "exporter", second["id"]).status_code == 201


# --- the Beijing date decides --------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "lodged"),
    [
        ("2026-12-01T15:59:00+00:00", False),  # 23:59 on 12-01 in Beijing: not yet
        ("2026-12-01T16:30:00+00:00", True),  # already 12-02 in Beijing
        ("2026-12-31T15:59:00+00:00", True),  # 23:59 on the last day in Beijing
        ("2026-12-31T16:00:00+00:00", False),  # 2027-01-01 in Beijing: expired
    ],
)
def test_the_authorisation_runs_on_beijing_dates_whatever_the_utc_date(
    clocked: tuple[World, FixedClock], at: str, lodged: bool
) -> None:
    world, clock = clocked
    authorise(world, date(2026, 12, 2), date(2026, 12, 31))
    clock._now = datetime.fromisoformat(at)
    response = world.lodge(client_payload(), user="broker")
    if lodged:
        assert response.status_code == 201, response.text
        assert response.json()["declaring_agent_uscc"] == BROKER_USCC
        return
    assert response.status_code == 422, response.text
    refused = [e["code"] for e in response.json()["errors"] if e["field"] == "consignor_uscc"]
    assert refused == ["no_agency_authorisation"]
    assert world.get("officer", "/api/v1/declarations").json()["total"] == 0
