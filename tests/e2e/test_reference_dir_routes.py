"""Corridors follow LANDPORT_REFERENCE_DIR like every other reference file: a new database
starts with the folder's routes, and a route import takes its zones and places from there."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

LANDPORT = str(Path(sys.executable).with_name("landport"))
BYPASS = "shigatse-gyirong-bypass"


def _packaged(name: str) -> Any:
    return json.loads((resources.files("landport") / "data" / name).read_text("utf-8"))


def _bypass_feature() -> dict[str, Any]:
    gyirong = next(
        f
        for f in _packaged("routes.geojson")["features"]
        if f["properties"]["route_id"] == "shigatse-gyirong"
    )
    return {**gyirong, "properties": {**gyirong["properties"], "route_id": BYPASS}}


def _reference_dir(folder: Path, *, with_routes: bool) -> Path:
    """The operator's folder: zones for the bypass (250 m wide), a renamed yard, and with
    `with_routes` a routes.geojson holding the bypass beside the shipped three."""
    folder.mkdir()
    zones = _packaged("corridor_zones.json")
    gyirong = next(c for c in zones["corridors"] if c["route_id"] == "shigatse-gyirong")
    zones["corridors"].append({**gyirong, "route_id": BYPASS, "half_width_m": 250})
    (folder / "corridor_zones.json").write_text(json.dumps(zones), encoding="utf-8")
    places = _packaged("places.json")
    for place in places["places"]:
        if place["id"] == "shigatse-land-port":
            place["name_en"] = "Shigatse Surveyed Yard"
    (folder / "places.json").write_text(json.dumps(places), encoding="utf-8")
    if with_routes:
        routes = _packaged("routes.geojson")
        routes["features"].append(_bypass_feature())
        (folder / "routes.geojson").write_text(json.dumps(routes), encoding="utf-8")
    return folder


def _landport(db: Path, reference: Path | None, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "LANDPORT_REFERENCE_DIR"}
    env |= {"LANDPORT_DATABASE__URL": f"sqlite:///{db}", "COLUMNS": "200", "NO_COLOR": "1"}
    if reference is not None:
        env["LANDPORT_REFERENCE_DIR"] = str(reference)
    return subprocess.run(
        [LANDPORT, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def _listed(db: Path) -> dict[str, list[str]]:
    done = _landport(db, None, "routes", "list")
    assert done.returncode == 0, done.stderr
    return {cells[0]: cells for line in done.stdout.splitlines() if (cells := line.split("│")[1:])
            and (cells := [c.strip() for c in cells if c.strip()])}  # fmt: skip


def _names(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as connection:
        return dict(connection.execute("SELECT route_id, name FROM routes").fetchall())


def test_a_new_database_starts_with_the_reference_folders_corridors(tmp_path: Path) -> None:
    reference = _reference_dir(tmp_path / "reference", with_routes=True)
    done = _landport(tmp_path / "port.db", reference, "db", "upgrade")
    assert done.returncode == 0, done.stderr
    routes = _listed(tmp_path / "port.db")
    assert BYPASS in routes and "shigatse-gyirong" in routes
    assert routes[BYPASS][1:4] == ["gyirong-port", "564", "250"]  # its zones file's width
    gyirong = "Gyirong port (to Rasuwagadhi)"
    assert _names(tmp_path / "port.db")[BYPASS] == f"Shigatse Surveyed Yard → {gyirong}"
    assert _landport(tmp_path / "plain.db", None, "db", "upgrade").returncode == 0
    assert BYPASS not in _listed(tmp_path / "plain.db")


def test_a_route_import_takes_zones_and_places_from_the_reference_folder(
    tmp_path: Path,
) -> None:
    reference = _reference_dir(tmp_path / "reference", with_routes=False)
    upload = tmp_path / "bypass.geojson"
    upload.write_text(
        json.dumps({"type": "FeatureCollection", "features": [_bypass_feature()]}),
        encoding="utf-8",
    )
    refused = _landport(tmp_path / "plain.db", None, "routes", "import", str(upload))
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "corridor_zones.json" in " ".join(refused.stderr.split())
    imported = _landport(tmp_path / "port.db", reference, "routes", "import", str(upload))
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert f"route {BYPASS} imported as version 1" in imported.stdout
    assert _listed(tmp_path / "port.db")[BYPASS][1:4] == ["gyirong-port", "564", "250"]
    assert _names(tmp_path / "port.db")[BYPASS].startswith("Shigatse Surveyed Yard")
