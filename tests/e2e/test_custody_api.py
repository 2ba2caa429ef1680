"""E-lock custody over HTTP, on SQLite and PostgreSQL: seal, track, verify, release or refer.

Border officers of another port may verify a trip (the verdict refers, `officer_port`
failing, so they see why) but may not release or refer it (403).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from builders import CONSIGNOR_USCC, make_uscc
from goods import furniture_payload, primary_lithium_payload
from landport.adapters.certificates import generate_keypair, private_key_pem, public_key_pem
from landport.adapters.signing_keys import SIGNING_KEY_ENV
from landport.adapters.telemetry.ingest import TelemetryIngestor
from landport.seals.model import SealFix
from landport.shared.clock import BEIJING, FixedClock
from tracks import T0, LockOpen, build_track, shipped_corridors
from world import World

LANDPORT = str(Path(sys.executable).with_name("landport"))
SECRET = "s3cret-key-of-the-e-lock-0042"
PLATE = "藏D12345"  # the plate of the builders' declaration
CONTAINER = "CSQU3054383"
BROKER_USCC = make_uscc("91330100MA2B00001")  # a customs broker (报关企业)


@dataclass
class Port:
    world: World
    clock: FixedClock
    ingestor: TelemetryIngestor
    public_key: Path


@pytest.fixture
def port(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Port]:
    private, public = generate_keypair()
    (tmp_path / "land-port.pem").write_bytes(private_key_pem(private))
    (tmp_path / "land-port.pub.pem").write_bytes(public_key_pem(public))
    monkeypatch.setenv(SIGNING_KEY_ENV, str(tmp_path / "land-port.pem"))
    clock = FixedClock(T0)
    world = World(database_url, clock=clock)
    world.without_random_selection()
    world.add_user("pemba", "border_officer", port="zhangmu-port")
    ingestor = TelemetryIngestor(world.services.engine, clock)
    yield Port(world, clock, ingestor, tmp_path / "land-port.pub.pem")
    world.close()


def register_seal(port: Port, seal_id: str = "EL-0042", user: str = "officer") -> Any:
    body = {"seal_id": seal_id, "vendor": "generic", "protocol": "json-mqtt", "secret": SECRET}
    return port.world.post(user, "/api/v1/seals", body)


def released_declaration(port: Port) -> dict[str, Any]:
    declaration: dict[str, Any] = port.world.lodge(furniture_payload(), submit=True).json()
    assert declaration["status"] == "released"
    return declaration


def arm(port: Port, declaration_id: str, seal_id: str = "EL-0042", user: str = "officer") -> Any:
    body = {"seal_id": seal_id, "declaration_id": declaration_id, "route_id": "shigatse-gyirong"}
    return port.world.post(user, "/api/v1/trips", body)


def armed_trip(port: Port) -> dict[str, Any]:
    assert register_seal(port).status_code == 201
    declaration = released_declaration(port)
    trip: dict[str, Any] = arm(port, declaration["id"]).json()
    return trip


def drive(port: Port, fixes: list[SealFix], batch: int = 100) -> None:
    for i in range(0, len(fixes), batch):
        part = fixes[i : i + batch]
        port.clock._now = part[-1].fix_time  # the server's clock follows the stream
        port.ingestor.ingest_fixes(part)


def track(**options: Any) -> list[SealFix]:
    corridor = shipped_corridors()["shigatse-gyirong"]
    return build_track(corridor, seal_id="EL-0042", interval_s=120, **options).fixes


def verify(port: Port, user: str = "border", **query: str) -> Any:
    return port.world.get(user, "/api/v1/border/verify", params=query)


def checks(verdict: dict[str, Any]) -> dict[str, bool]:
    return {c["code"]: c["ok"] for c in verdict["checks"]}


def test_an_e_lock_joins_the_pool_and_its_secret_never_comes_back(port: Port) -> None:
    registered = register_seal(port)
    assert registered.status_code == 201, registered.text
    assert "secret" not in registered.json() and SECRET not in registered.text
    listed = port.world.get("border", "/api/v1/seals").json()["items"]
    assert [(s["seal_id"], s["state"], s["battery_pct"]) for s in listed] == [
        ("EL-0042", "available", None)
    ]
    assert SECRET not in str(listed)
    assert register_seal(port).status_code == 409
    assert port.world.get("exporter", "/api/v1/seals").status_code == 403


def test_arming_a_released_declaration_starts_a_trip_with_its_arrival_window(port: Port) -> None:
    assert register_seal(port).status_code == 201
    declaration = released_declaration(port)
    response = arm(port, declaration["id"])
    assert response.status_code == 201, response.text
    trip = response.json()
    assert (trip["state"], trip["seal_id"], trip["vehicle_plate"]) == ("in_yard", "EL-0042", PLATE)
    assert trip["containers"] == [CONTAINER] and trip["route_approximate"] is True
    assert trip["window_start"] < trip["expected"] <= trip["window_end"]
    assert trip["window_start"].endswith("+00:00") and trip["expected_beijing"].endswith("+08:00")
    seen = port.world.get("exporter", f"/api/v1/trips/{trip['id']}")
    assert seen.status_code == 200 and seen.json()["declaration_number"] == declaration["number"]
    assert port.world.get("competitor", f"/api/v1/trips/{trip['id']}").status_code == 404
    listed = port.world.get("competitor", "/api/v1/trips").json()
    assert listed["total"] == 0
    assert port.world.get("auditor", "/api/v1/trips?active=true").json()["total"] == 1


def test_arming_twice_or_before_release_is_refused_and_a_declarant_cannot_arm(
    port: Port,
) -> None:
    assert register_seal(port).status_code == 201
    assert register_seal(port, "EL-0043").status_code == 201
    declaration = released_declaration(port)
    assert arm(port, declaration["id"], user="exporter").status_code == 403
    assert arm(port, declaration["id"]).status_code == 201
    twice = arm(port, declaration["id"], seal_id="EL-0043")
    assert twice.status_code == 409 and twice.json()["message_zh"]
    pending = port.world.lodge(primary_lithium_payload(), submit=True).json()
    assert pending["status"] == "examination"
    assert arm(port, pending["id"], seal_id="EL-0043").status_code == 409


def test_a_clean_trip_passes_at_the_border_and_release_returns_the_seal(port: Port) -> None:
    trip = armed_trip(port)
    fixes = track()
    drive(port, fixes)
    detail = port.world.get("officer", f"/api/v1/trips/{trip['id']}").json()
    assert detail["state"] == "at_border" and detail["alerts"] == []
    assert detail["statistics"]["fixes"] == len(fixes) and detail["statistics"]["inside_share"] == 1
    assert detail["last_position"]["fix_time"] == fixes[-1].fix_time.isoformat()

    verdict = verify(port, plate="藏D 12345")
    assert verdict.status_code == 200, verdict.text
    body = verdict.json()
    assert (body["verdict"], body["trip_id"]) == ("pass", trip["id"])
    assert all(checks(body).values()) and len(body["checks"]) == 14
    assert body["not_read_at_gate"] == ["containers", "seal"]

    gate = {"plate": PLATE, "containers": [CONTAINER], "seal_id": "EL-0042"}
    released = port.world.post("border", f"/api/v1/border/trips/{trip['id']}/release", gate)
    assert released.status_code == 200, released.text
    assert released.json()["verdict"]["verdict"] == "pass"
    declaration = port.world.get("officer", f"/api/v1/declarations/{trip['declaration_id']}")
    assert declaration.json()["status"] == "exited"
    seals = port.world.get("officer", "/api/v1/seals").json()["items"]
    assert [s["state"] for s in seals] == ["available"]
    closed = port.world.get("officer", f"/api/v1/trips/{trip['id']}").json()
    assert closed["state"] == "exited" and closed["closed_at"]
    trail = port.world.get("auditor", "/api/v1/audit", params={"entity_id": trip["id"]}).json()
    released_entry = next(e for e in trail["items"] if e["action"] == "border.exited")
    assert '"verdict":"pass"' in released_entry["detail"]
    again = port.world.post("border", f"/api/v1/border/trips/{trip['id']}/release", gate)
    assert again.status_code == 409
    assert verify(port, trip=trip["id"]).json()["verdict"] == "refer"  # it has left


def test_a_lock_opened_en_route_is_referred_with_the_seal_check_failing(port: Port) -> None:
    trip = armed_trip(port)
    drive(port, track(lock_opens=[LockOpen(at_km=150, relock_after_minutes=6)]))
    body = verify(port, seal="EL-0042").json()
    assert body["verdict"] == "refer"
    assert not checks(body)["seal_locked"] and "seal_locked" in body["referred_for"]
    refused = port.world.post("border", f"/api/v1/border/trips/{trip['id']}/release")
    assert refused.status_code == 409
    assert "seal_locked" in [e["code"] for e in refused.json()["errors"]]

    opened = port.world.get("officer", "/api/v1/alerts", params={"state": "open"}).json()
    alert = next(a for a in opened["items"] if a["kind"] == "seal_opened")

    def on_screen() -> tuple[int, set[str]]:
        summary = port.world.get("auditor", "/api/v1/screen/summary").json()
        listed = port.world.get("auditor", "/api/v1/screen/alerts").json()
        rows = listed["items"] if isinstance(listed, dict) else listed
        return summary["alerts"]["open"], {str(a["id"]) for a in rows}

    before = on_screen()
    assert alert["key"] in before[1]
    seen = f"/api/v1/alerts/{alert['id']}/acknowledge"
    assert port.world.post("officer", seen, {"reason": "calling the driver"}).status_code == 200
    assert on_screen() == before  # being handled is not resolved: still on the wall
    # a second officer learns who has it; his note does not replace the first one's
    port.world.add_user("officer2", "customs_officer")
    second = port.world.post("officer2", seen, {"reason": "me too"})
    assert second.status_code == 409 and "officer" in second.json()["message_en"]
    assert "确认处置中" in second.json()["message_zh"]
    again = port.world.post("officer", seen, {"reason": "still calling the driver"})
    assert again.status_code == 200 and again.json()["handled_by"] == "officer"
    path = f"/api/v1/alerts/{alert['id']}/resolve"
    assert port.world.post("officer", path, {"reason": ""}).status_code == 422
    resolved = port.world.post("officer", path, {"reason": "driver opened it to show papers"})
    assert resolved.status_code == 200, resolved.text
    assert (resolved.json()["state"], resolved.json()["handled_by"]) == ("resolved", "officer")
    listed = port.world.get("officer", "/api/v1/alerts", params={"state": "resolved"}).json()
    row = next(a for a in listed["items"] if a["id"] == alert["id"])
    assert row["closed_at"] is not None and row["closed_at"] == row["handled_at"]  # closed then
    after = on_screen()
    assert after[0] == before[0] - 1 and alert["key"] not in after[1]
    stats = port.world.get("officer", f"/api/v1/trips/{trip['id']}").json()["statistics"]
    assert alert["key"] not in stats["open_alerts"]  # the monitor state keeps the finding
    again = verify(port, seal="EL-0042").json()
    assert checks(again)["no_open_alerts"] and not checks(again)["seal_locked"]

    path = f"/api/v1/border/trips/{trip['id']}/refer"
    unread = port.world.post("border", path, {"reason": "lock opened at km 150"})
    assert unread.status_code == 422, unread.text  # referred from a desk, no truck in sight
    (error,) = unread.json()["errors"]
    assert (error["field"], error["code"]) == ("plate", "not_read_at_gate")
    assert "车牌" in error["message_zh"] and "plate" in error["message_en"]
    still = port.world.get("officer", f"/api/v1/trips/{trip['id']}").json()
    assert still["state"] not in ("referred", "exited")  # the refusal changed nothing
    referred = port.world.post("border", path, {"reason": "lock opened at km 150", "plate": PLATE})
    assert referred.status_code == 200, referred.text
    assert referred.json()["trip_state"] == "referred"
    declaration = port.world.get("officer", f"/api/v1/declarations/{trip['declaration_id']}")
    assert declaration.json()["status"] == "held"
    assert declaration.json()["decision_reason"] == "lock opened at km 150"


def test_a_border_officer_of_another_port_sees_a_refer_and_may_not_release(port: Port) -> None:
    trip = armed_trip(port)
    drive(port, track())
    body = verify(port, user="pemba", plate=PLATE).json()
    assert body["verdict"] == "refer" and body["referred_for"] == ["officer_port"]
    (check,) = [c for c in body["checks"] if c["code"] == "officer_port"]
    assert "exit port Gyirong port" in check["message_en"]  # the ports by name, not by id
    assert "本次运输的出境口岸吉隆口岸" in check["message_zh"]
    assert "-port" not in check["message_zh"]
    path = f"/api/v1/border/trips/{trip['id']}"
    assert port.world.post("pemba", f"{path}/release").status_code == 403
    assert port.world.post("pemba", f"{path}/refer", {"reason": "not mine"}).status_code == 403
    assert port.world.post("officer", f"{path}/release").status_code == 403
    assert verify(port, user="exporter", plate=PLATE).status_code == 403


def test_two_officers_confirming_at_once_release_only_once(port: Port) -> None:
    trip = armed_trip(port)
    drive(port, track())
    path = f"/api/v1/border/trips/{trip['id']}/release"
    gate = {"plate": PLATE, "seal_id": "EL-0042"}
    port.world.headers("border")  # log in before racing
    with ThreadPoolExecutor(2) as pool:
        answers = pool.map(lambda _: port.world.post("border", path, gate).status_code, [1, 2])
    assert sorted(answers) == [200, 409]


def test_goods_exit_only_on_what_was_read_from_the_truck(port: Port) -> None:
    """A verdict on the record alone (a certificate QR's trip, nothing read at the gate)
    compares the record with itself: releasing needs the plate and the seal read."""
    trip = armed_trip(port)
    drive(port, track())
    assert verify(port, trip=trip["id"]).json()["verdict"] == "pass"
    path = f"/api/v1/border/trips/{trip['id']}/release"
    refused = port.world.post("border", path)
    assert refused.status_code == 422
    assert {e["field"] for e in refused.json()["errors"]} == {"plate", "seal_id"}
    assert all(e["message_zh"] for e in refused.json()["errors"])
    assert port.world.get("officer", f"/api/v1/trips/{trip['id']}").json()["state"] == "at_border"
    only_plate = port.world.post("border", path, {"plate": PLATE})
    assert [e["field"] for e in only_plate.json()["errors"]] == ["seal_id"]
    released = port.world.post("border", path, {"plate": PLATE, "seal_id": "EL-0042"})
    assert released.status_code == 200, released.text


def test_the_certificate_verifies_offline_and_fails_after_one_byte_changes(
    port: Port, tmp_path: Path
) -> None:
    trip = armed_trip(port)
    drive(port, track())
    response = port.world.get("exporter", f"/api/v1/trips/{trip['id']}/certificate")
    assert response.status_code == 200
    document = response.json()
    assert document["certificate"]["custody"]["fixes"] > 0
    keys = port.world.get("exporter", "/api/v1/border/public-keys").json()["keys"]
    assert [k["key_id"] for k in keys] == [document["key_id"]]
    qr = port.world.get("border", f"/api/v1/trips/{trip['id']}/certificate.svg")
    assert qr.headers["content-type"].startswith("image/svg+xml") and "<svg" in qr.text
    png = port.world.get("officer", f"/api/v1/trips/{trip['id']}/certificate.png")
    assert png.content.startswith(b"\x89PNG")
    assert port.world.get("competitor", f"/api/v1/trips/{trip['id']}/certificate").status_code == (
        404
    )

    file = tmp_path / "certificate.json"
    file.write_bytes(response.content)
    now = port.clock.now().isoformat()  # verified at the border as the trip arrives
    ok = verify_offline(file, port.public_key, "--at", now)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "VALID" in ok.stdout
    token = tmp_path / "scanned.txt"
    token.write_text(document["qr"] + "\n", encoding="utf-8")
    assert verify_offline(token, port.public_key, "--at", now).returncode == 0

    changed = bytearray(response.content)
    at = changed.index(b"CSQU3054383") + 10
    changed[at] = ord("4") if changed[at] != ord("4") else ord("5")
    file.write_bytes(bytes(changed))
    tampered = verify_offline(file, port.public_key, "--at", now)
    assert tampered.returncode == 1
    assert "bad_signature" in tampered.stdout


def test_a_printed_certificate_stops_verifying_offline_a_day_after_its_window(
    port: Port, tmp_path: Path
) -> None:
    trip = armed_trip(port)
    drive(port, track())
    document = port.world.get("exporter", f"/api/v1/trips/{trip['id']}/certificate").json()
    until = datetime.fromisoformat(document["certificate"]["valid_until"])
    assert until == datetime.fromisoformat(document["certificate"]["window"]["end"]) + (
        timedelta(hours=24)
    )
    file, token = tmp_path / "certificate.json", tmp_path / "scanned.txt"
    file.write_text(json.dumps(document), encoding="utf-8")
    token.write_text(document["qr"], encoding="utf-8")
    beijing = until.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    for paper in (file, token):
        held = verify_offline(paper, port.public_key, "--at", until.isoformat())
        assert held.returncode == 0, held.stdout + held.stderr
        late = (until + timedelta(seconds=1)).astimezone(BEIJING).isoformat()
        refused = verify_offline(paper, port.public_key, "--at", late, "--json")
        assert refused.returncode == 1, refused.stdout + refused.stderr
        (reason,) = json.loads(refused.stdout)["reasons"]
        assert reason["code"] == "expired"
        assert beijing in reason["message_en"] and beijing in reason["message_zh"]
        # Without --at, the post's own clock: months after this trip of March 2026.
        today = verify_offline(paper, port.public_key)
        assert today.returncode == 1 and "expired" in today.stdout
    naive = verify_offline(file, port.public_key, "--at", "2026-03-03T10:00")
    assert naive.returncode == 2 and "--at" in naive.stderr


def test_the_border_console_refuses_an_expired_certificate_qr(port: Port) -> None:
    trip = armed_trip(port)
    drive(port, track())
    document = port.world.get("border", f"/api/v1/trips/{trip['id']}/certificate").json()
    read = port.world.post("border", "/console/border/qr", {"token": document["qr"]})
    assert read.status_code == 200, read.text
    assert read.json()["valid"] is True and read.json()["reasons"] == []
    assert read.json()["valid_until"] == document["certificate"]["valid_until"]
    until = datetime.fromisoformat(document["certificate"]["valid_until"])
    port.clock._now = until + timedelta(minutes=1)  # the port's clock, not the wall clock
    late = port.world.post("border", "/console/border/qr", {"token": document["qr"]}).json()
    assert late["valid"] is False and late["trip_id"] == trip["id"]
    assert [(r["code"], r["field"]) for r in late["reasons"]] == [("expired", "qr.valid_until")]
    beijing = until.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    assert beijing in late["reasons_en"][0] and beijing in late["reasons_zh"][0]


def test_routes_are_shown_approximate_until_a_surveyed_track_is_imported(port: Port) -> None:
    routes = port.world.get("exporter", "/api/v1/routes").json()["items"]
    assert {r["route_id"] for r in routes} == {
        "shigatse-gyirong",
        "shigatse-zhangmu",
        "shigatse-lizi",
    }
    assert all(r["approximate"] and r["notice_zh"] for r in routes)
    shape = port.world.get("border", "/api/v1/routes/shigatse-gyirong").json()
    assert shape["type"] == "FeatureCollection" and shape["approximate"] is True
    line = shape["features"][0]["geometry"]["coordinates"]
    assert {f["properties"]["kind"] for f in shape["features"][1:]} >= {"yard", "border_port"}
    points = "".join(f'<trkpt lat="{lat}" lon="{lon}"/>' for lon, lat in line)
    gpx = f'<?xml version="1.0"?><gpx><trk><trkseg>{points}</trkseg></trk></gpx>'
    upload = {"file": ("survey.gpx", gpx.encode(), "application/gpx+xml")}
    form = {"route_id": "shigatse-gyirong", "half_width_m": "300"}
    refused = port.world.post("officer", "/api/v1/routes/import", files=upload, data=form)
    assert refused.status_code == 403
    imported = port.world.post("admin", "/api/v1/routes/import", files=upload, data=form)
    assert imported.status_code == 201, imported.text
    route = imported.json()["imported"][0]
    assert (route["version"], route["approximate"], route["half_width_m"]) == (2, False, 300)
    without_id = port.world.post("admin", "/api/v1/routes/import", files=upload)
    assert without_id.status_code == 422
    assert without_id.json()["errors"][0]["code"] == "route_id_required"
    assert port.world.get("officer", "/api/v1/routes/nowhere").status_code == 404


def test_the_border_command_prints_every_check_and_exits_by_the_verdict(
    port: Port, database_url: str
) -> None:
    trip_time = build_track(shipped_corridors()["shigatse-gyirong"], interval_s=120)
    start = datetime.now(UTC).replace(microsecond=0) - (trip_time.end - T0) - timedelta(minutes=2)
    port.clock._now = start  # the command judges at the wall clock: drive up to it
    trip = armed_trip(port)
    drive(port, track(start=start))
    passed = landport(database_url, "border", "verify", "--plate", PLATE, "--port", "gyirong-port")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert passed.stdout.count("PASS ") == 14 and "VERDICT: PASS" in passed.stdout
    elsewhere = landport(
        database_url,
        "border",
        "verify",
        "--container",
        CONTAINER,
        "--port",
        "zhangmu-port",
        "--json",
    )
    assert elsewhere.returncode == 1, elsewhere.stdout + elsewhere.stderr
    verdict = json.loads(elsewhere.stdout)
    assert (verdict["trip_id"], verdict["referred_for"]) == (trip["id"], ["officer_port"])
    unknown = landport(database_url, "border", "verify", "--seal", "EL-9999", "--port", "x")
    assert unknown.returncode == 2
    listed = landport(database_url, "routes", "list")
    assert listed.returncode == 0 and "shigatse-gyirong" in listed.stdout
    assert "APPROXIMATE" in listed.stdout
    registered = landport(
        database_url, "seals", "register", "--seal-id", "EL-0099", "--vendor", "generic",
        "--protocol", "jt808", "--secret", SECRET, "--terminal-id", "13900000099",
    )  # fmt: skip
    assert registered.returncode == 0, registered.stdout + registered.stderr
    assert "EL-0099" in [
        s["seal_id"] for s in port.world.get("admin", "/api/v1/seals").json()["items"]
    ]


def landport(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LANDPORT_DATABASE__URL": url, "COLUMNS": "200"}
    return subprocess.run(
        [LANDPORT, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def verify_offline(file: Path, public_key: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != SIGNING_KEY_ENV}  # offline: key given
    return subprocess.run(
        [
            LANDPORT,
            "trips",
            "verify-certificate",
            str(file),
            "--public-key",
            str(public_key),
            *args,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_no_certificate_is_issued_for_a_trip_that_has_ended(port: Port) -> None:
    """Once the goods have exited (or the trip was referred or unsealed), a fresh certificate
    would vouch offline for a journey that no longer stands."""
    trip = armed_trip(port)
    drive(port, track())
    path = f"/api/v1/trips/{trip['id']}/certificate"
    assert port.world.get("exporter", path).status_code == 200
    gate = {"plate": PLATE, "seal_id": "EL-0042"}
    released = port.world.post("border", f"/api/v1/border/trips/{trip['id']}/release", gate)
    assert released.status_code == 200, released.text
    ended = port.world.get("exporter", path)
    assert ended.status_code == 409 and "exited" in ended.json()["message_en"]
    assert port.world.get("border", f"{path}.svg").status_code == 409
    assert port.world.get("competitor", path).status_code == 404  # tells nothing to others


def test_no_certificate_is_issued_before_the_truck_has_left_the_yard(port: Port) -> None:
    """A truck may wait days in the yard for its border day, and the yard moves its arrival
    window meanwhile: a paper printed then would expire while the truck is on time."""
    trip = armed_trip(port)
    path = f"/api/v1/trips/{trip['id']}/certificate"
    waiting = port.world.get("exporter", path)
    assert waiting.status_code == 409 and "has not left the yard" in waiting.json()["message_en"]
    assert "尚未驶离场站" in waiting.json()["message_zh"]
    assert port.world.get("border", f"{path}.png").status_code == 409
    assert port.world.get("competitor", path).status_code == 404
    drive(port, track())
    assert port.world.get("exporter", path).status_code == 200


def test_the_broker_that_lodged_the_declaration_gets_its_trip_certificate(port: Port) -> None:
    """A customs broker's declarant sees the trips of the declarations it lodged for a
    client, and so their certificates; a third enterprise still sees nothing."""
    world = port.world
    world.add_enterprise(BROKER_USCC, rating="general")
    world.add_user("broker", "declarant", enterprise=BROKER_USCC)
    day = T0.astimezone(BEIJING).date()
    authorisation = {
        "consignor_uscc": CONSIGNOR_USCC,
        "agent_uscc": BROKER_USCC,
        "valid_from": day.isoformat(),
        "valid_to": (day + timedelta(days=30)).isoformat(),
    }
    assert world.post("admin", "/api/v1/agency-authorisations", authorisation).status_code == 201
    lodged = world.lodge(furniture_payload(), user="broker", submit=True).json()
    assert (lodged["status"], lodged["declaring_agent_uscc"]) == ("released", BROKER_USCC)
    assert register_seal(port).status_code == 201
    trip = arm(port, lodged["id"]).json()
    path = f"/api/v1/trips/{trip['id']}/certificate"
    waiting = world.get("broker", path)  # its own trip, not yet out of the yard
    assert waiting.status_code == 409 and "has not left the yard" in waiting.json()["message_en"]
    assert world.get("competitor", path).status_code == 404
    drive(port, track())
    for user in ("broker", "exporter"):
        response = world.get(user, path)
        assert response.status_code == 200, (user, response.text)
        assert response.json()["certificate"]["declaration_number"] == lodged["number"]
    assert world.get("broker", f"{path}.svg").status_code == 200
    assert world.get("competitor", path).status_code == 404
    assert world.get("competitor", f"{path}.png").status_code == 404


def test_a_container_sealed_on_a_trip_under_way_is_not_sealed_on_a_second(port: Port) -> None:
    """A box is on one truck: a second declaration of it (here the same goods declared
    again) gets no seal while the first trip is under way, and the refusal names the trip."""
    first = armed_trip(port)
    again = released_declaration(port)  # the same box, CSQU3054383
    assert register_seal(port, "EL-0043").status_code == 201
    refused = arm(port, again["id"], "EL-0043")
    assert refused.status_code == 409, refused.text
    assert CONTAINER in refused.json()["message_en"] and first["id"] in refused.json()["message_en"]
    assert "集装箱已在途中运输上施封" in refused.json()["message_zh"]
    seal = port.world.get("officer", "/api/v1/seals").json()["items"]
    assert {s["seal_id"]: s["state"] for s in seal}["EL-0043"] == "available"  # nothing moved
    found = verify(port, container=CONTAINER).json()
    assert found["trip_id"] == first["id"]  # the border finds the one truck carrying it
