"""Corridors: metric projection, route compliance (not area geofences), zones, loaders."""

from __future__ import annotations

import copy
import json
import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from landport.seals.approved import ApprovedRoute, PermittedZone
from landport.seals.corridor import Corridor, RouteMeta, Zone, ZoneKind
from landport.seals.corridor_loading import (
    build_corridors,
    corridor_from_approved,
    parse_gpx,
    parse_routes_geojson,
)
from landport.seals.geodesy import LocalProjection
from landport.shared.errors import InvalidInput
from tracks import DATA, ROUTE_IDS, shipped_corridors


def vincenty_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """WGS84 geodesic distance (Vincenty's inverse), the reference for the projection."""
    a, f = 6378137.0, 1 / 298.257223563
    b = a * (1 - f)
    big_l = math.radians(lon2 - lon1)
    u1 = math.atan((1 - f) * math.tan(math.radians(lat1)))
    u2 = math.atan((1 - f) * math.tan(math.radians(lat2)))
    su1, cu1, su2, cu2 = math.sin(u1), math.cos(u1), math.sin(u2), math.cos(u2)
    lam = big_l
    for _ in range(200):
        sl, cl = math.sin(lam), math.cos(lam)
        s_sig = math.hypot(cu2 * sl, cu1 * su2 - su1 * cu2 * cl)
        c_sig = su1 * su2 + cu1 * cu2 * cl
        sig = math.atan2(s_sig, c_sig)
        s_alpha = cu1 * cu2 * sl / s_sig
        c2_alpha = 1 - s_alpha**2
        c2_sm = c_sig - 2 * su1 * su2 / c2_alpha
        c = f / 16 * c2_alpha * (4 + f * (4 - 3 * c2_alpha))
        prev = lam
        lam = big_l + (1 - c) * f * s_alpha * (
            sig + c * s_sig * (c2_sm + c * c_sig * (-1 + 2 * c2_sm**2))
        )
        if abs(lam - prev) < 1e-12:
            break
    u_sq = c2_alpha * (a * a - b * b) / (b * b)
    big_a = 1 + u_sq / 16384 * (4096 + u_sq * (-768 + u_sq * (320 - 175 * u_sq)))
    big_b = u_sq / 1024 * (256 + u_sq * (-128 + u_sq * (74 - 47 * u_sq)))
    d_sig = (
        big_b
        * s_sig
        * (
            c2_sm
            + big_b
            / 4
            * (
                c_sig * (-1 + 2 * c2_sm**2)
                - big_b / 6 * c2_sm * (-3 + 4 * s_sig**2) * (-3 + 4 * c2_sm**2)
            )
        )
    )
    return b * big_a * (sig - d_sig)


PLACES = {  # lon, lat from places.json: the far corners of the network
    "shigatse": (88.86, 29.23),
    "lizi": (83.98, 29.32),
    "zhongba": (84.03, 29.77),
    "zhangmu": (85.964012, 27.973413),
    "gyirong": (85.383, 28.283),
    "lhatse": (87.637, 29.085),
}


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("shigatse", "lizi"),
        ("shigatse", "zhangmu"),
        ("zhongba", "zhangmu"),
        ("lizi", "gyirong"),
        ("shigatse", "lhatse"),
    ],
)
def test_projected_distances_stay_within_a_fifth_of_a_percent_of_the_geodesic(
    a: str, b: str
) -> None:
    projection = LocalProjection.centred_on([83.98, 88.86], [27.97, 29.77])
    (x1, x2), (y1, y2) = projection.forward(
        [PLACES[a][0], PLACES[b][0]], [PLACES[a][1], PLACES[b][1]]
    )
    projected = math.hypot(x2 - x1, y2 - y1)
    true = vincenty_m(*PLACES[a], *PLACES[b])
    assert abs(projected - true) / true < 0.002


def test_the_projection_inverts_exactly() -> None:
    projection = LocalProjection(86.4, 28.9)
    lons, lats = np.array([83.98, 88.86, 85.96]), np.array([29.32, 29.23, 27.97])
    back_lon, back_lat = projection.inverse(*projection.forward(lons, lats))
    assert np.allclose(back_lon, lons, atol=1e-9) and np.allclose(back_lat, lats, atol=1e-9)


@pytest.mark.parametrize(("route_id", "published_km"), [
    ("shigatse-gyirong", 442.7), ("shigatse-zhangmu", 349.7), ("shigatse-lizi", 531.3),
])  # fmt: skip
def test_polyline_length_matches_the_published_polyline_km(
    route_id: str, published_km: float
) -> None:
    corridor = shipped_corridors()[route_id]
    assert corridor.length_m / 1000 == pytest.approx(published_km, rel=0.005)


@pytest.mark.parametrize("route_id", ROUTE_IDS)
def test_points_within_the_half_width_on_either_side_are_inside_and_beyond_it_are_not(
    route_id: str,
) -> None:
    corridor = shipped_corridors()[route_id]
    chainage = np.linspace(20_000, corridor.length_m - 20_000, 400)
    rest = np.array([corridor.zone_at(*corridor.point_at(s)) for s in chainage]).ravel()
    away = chainage[rest == None]  # noqa: E711 (keep only stretches between permitted zones)
    for offset, expected in [(0, True), (450, True), (-450, True), (560, False), (-560, False)]:
        lons, lats = corridor.point_at(away, offset)
        inside = corridor.inside(lons, lats)
        if expected:
            assert inside.all(), f"offset {offset} m"
        else:  # just past a bend's inner side the other segment may be within reach: allow a few
            assert inside.mean() < 0.05, f"offset {offset} m"


def test_a_truck_cutting_a_bend_stays_inside_the_corridor() -> None:
    corridor = shipped_corridors()["shigatse-gyirong"]
    bend = corridor.chainage_m(85.2969, 28.8547)[0]  # Gyirong county: the route turns south
    before_lon, before_lat = corridor.point_at(bend - 600)
    after_lon, after_lat = corridor.point_at(bend + 600)
    t = np.linspace(0, 1, 50)
    chord_lon = before_lon + t * (after_lon - before_lon)
    chord_lat = before_lat + t * (after_lat - before_lat)
    assert corridor.distance_m(chord_lon, chord_lat).max() < corridor.half_width_m
    assert corridor.inside(chord_lon, chord_lat).all()


def test_a_road_crossing_the_corridor_is_inside_only_where_it_is_within_the_half_width() -> None:
    corridor = shipped_corridors()["shigatse-lizi"]
    s = np.full(41, 300_000.0)
    offsets = np.linspace(-4_000, 4_000, 41)  # a side road crossing at right angles
    lons, lats = corridor.point_at(s, offsets)
    inside = corridor.inside(lons, lats)
    assert inside.tolist() == (np.abs(offsets) <= 500).tolist()
    assert corridor.distance_m(lons, lats) == pytest.approx(np.abs(offsets), abs=1.0)


def test_chainage_grows_along_the_route_and_point_at_is_its_inverse() -> None:
    corridor = shipped_corridors()["shigatse-zhangmu"]
    s = np.linspace(0, corridor.length_m, 300)
    lons, lats = corridor.point_at(s)
    assert corridor.chainage_m(lons, lats) == pytest.approx(s, abs=0.5)
    assert corridor.road_km_at(corridor.length_m) == pytest.approx(530.0)


def test_zone_at_names_the_yard_the_rest_stops_and_the_border_port() -> None:
    corridor = shipped_corridors()["shigatse-gyirong"]
    lons = [88.86, 87.637, 85.383, 85.3834, 87.0]
    lats = [29.23, 29.085, 28.283, 28.2740, 28.7]
    assert corridor.zone_at(lons, lats) == [
        "shigatse-land-port",
        "lhatse",
        "gyirong-port",
        "gyirong-port",  # 1 km south of the port centre, still in its 3 km zone
        None,
    ]
    assert corridor.zone("gyirong-port").kind is ZoneKind.BORDER_PORT


def test_a_permitted_zone_wider_than_the_corridor_counts_as_inside() -> None:
    corridor = shipped_corridors()["shigatse-lizi"]
    lon, lat = corridor.point_at(300, 1_200)  # in the yard, 1.2 km beside the route start
    assert corridor.distance_m(lon, lat)[0] > corridor.half_width_m
    assert corridor.inside(lon, lat).tolist() == [True]
    assert corridor.zone_at(lon, lat) == ["shigatse-land-port"]


def test_polygon_zones_and_overlaps_prefer_the_border_port() -> None:
    square = ((85.37, 28.27), (85.40, 28.27), (85.40, 28.30), (85.37, 28.30))
    corridor = Corridor(
        [(85.33, 28.39), (85.383, 28.283)],
        zones=[
            Zone("town", ZoneKind.REST_STOP, center=(85.383, 28.283), radius_m=5_000),
            Zone("port", ZoneKind.BORDER_PORT, polygon=square),
        ],
    )
    assert corridor.zone_at([85.383, 85.36, 85.5], [28.283, 28.283, 28.283]) == [
        "port",
        "town",
        None,
    ]


def test_a_dense_winding_survey_is_indexed_and_agrees_with_brute_force() -> None:
    base = shipped_corridors()["shigatse-zhangmu"]
    s = np.arange(0.0, 120_000.0, 20.0)
    lons, lats = base.point_at(s, 120.0 * np.sin(2 * np.pi * s / 700.0))
    dense = Corridor(list(zip(lons.tolist(), lats.tolist(), strict=True)), route_id="survey")
    assert dense._grid is not None  # many vertices: the grid index is in use
    brute = copy.copy(dense)
    brute._grid = None
    rng = np.random.default_rng(5)
    q_lon, q_lat = base.point_at(rng.uniform(0, 125_000, 3_000), rng.normal(0, 1_500, 3_000))
    d_grid, c_grid = dense._nearest(*dense.project(q_lon, q_lat))
    d_brute, c_brute = brute._nearest(*brute.project(q_lon, q_lat))
    assert d_grid == pytest.approx(d_brute, abs=1e-6)
    assert c_grid == pytest.approx(c_brute, abs=1e-3)


def test_the_shipped_routes_load_with_their_road_distance_and_confidence() -> None:
    routes = parse_routes_geojson((DATA / "routes.geojson").read_text(encoding="utf-8"))
    by_id = {r.route_id: r for r in routes}
    assert set(by_id) == set(ROUTE_IDS)
    gyirong = by_id["shigatse-gyirong"].meta
    assert (gyirong.road_km, gyirong.typical_truck_days, gyirong.approximate) == (564, 2.0, True)
    assert gyirong.to_place == "gyirong-port"
    corridor = shipped_corridors()["shigatse-gyirong"]
    assert corridor.typical_speed_kmh == pytest.approx(564 / 48)
    assert corridor.road_factor > 1.2  # the real road winds where the polyline is straight


GPX = """<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="survey" xmlns="http://www.topografix.com/GPX/1/1">
  <trk><name>Nyalam - Zhangmu</name>
    <trkseg><trkpt lat="28.16" lon="85.98"><ele>3750</ele></trkpt>
            <trkpt lat="28.10" lon="85.975"/></trkseg>
    <trkseg><trkpt lat="27.973413" lon="85.964012"/></trkseg>
  </trk>
</gpx>"""


def test_a_surveyed_gpx_track_becomes_a_route_that_is_not_approximate() -> None:
    route = parse_gpx(GPX, route_id="nyalam-zhangmu", road_km=31.0, to_place="zhangmu-port")
    assert route.coordinates == ((85.98, 28.16), (85.975, 28.10), (85.964012, 27.973413))
    assert route.meta.approximate is False
    corridor = Corridor(route.coordinates, meta=route.meta)
    assert corridor.road_km == 31.0


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("<gpx><trk><trkseg><trkpt lat='28'/></trkseg></trk></gpx>", "bad_trkpt"),
        ("<gpx><trk/></gpx>", "route_too_short"),
        ("<kml/>", "not_gpx"),
        ("<gpx>", "not_xml"),
        ('<!DOCTYPE gpx [<!ENTITY a "b">]><gpx/>', "doctype_not_allowed"),
    ],
)
def test_bad_gpx_is_refused_with_a_bilingual_reason(text: str, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_gpx(text, route_id="x")
    assert caught.value.violations[0].code == code
    assert caught.value.violations[0].message_zh


def test_bad_geojson_lists_every_problem_in_english_and_chinese() -> None:
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "Point", "coordinates": [1, 2]},
            },
            {
                "type": "Feature",
                "properties": {"route_id": "r", "road_km": -3},
                "geometry": {"type": "LineString", "coordinates": [[88.8, 29.2], [200, 95], "x"]},
            },
        ],
    }
    with pytest.raises(InvalidInput) as caught:
        parse_routes_geojson(json.dumps(doc))
    codes = {(v.field, v.code) for v in caught.value.violations}
    assert codes == {
        ("features[0].properties.route_id", "missing_route_id"),
        ("features[0].geometry", "not_a_linestring"),
        ("features[1].geometry.coordinates[1]", "bad_coordinate"),
        ("features[1].geometry.coordinates[2]", "bad_coordinate"),
        ("features[1].properties.road_km", "not_a_positive_number"),
    }
    assert all(v.message_zh and v.message_en for v in caught.value.violations)
    with pytest.raises(InvalidInput):
        parse_routes_geojson("{not json")


def test_zones_for_an_unknown_route_or_of_an_unknown_kind_are_refused() -> None:
    routes = parse_routes_geojson((DATA / "routes.geojson").read_text(encoding="utf-8"))
    places = json.loads((DATA / "places.json").read_text(encoding="utf-8"))
    zones = {
        "corridors": [
            {"route_id": "shigatse-kathmandu", "zones": []},
            {"route_id": "shigatse-lizi", "zones": [{"place": "saga", "kind": "car_park"}]},
        ]
    }
    with pytest.raises(InvalidInput) as caught:
        build_corridors(routes, zones, places)
    assert [v.code for v in caught.value.violations] == ["unknown_route", "bad_zone_kind"]


def test_every_shipped_corridor_has_its_yard_and_border_port_zones() -> None:
    for route_id, corridor in shipped_corridors().items():
        kinds = {z.id: z.kind for z in corridor.zones}
        assert kinds["shigatse-land-port"] is ZoneKind.YARD, route_id
        assert kinds[str(corridor.meta.to_place)] is ZoneKind.BORDER_PORT, route_id
        assert all(z.confidence == "estimate" for z in corridor.zones)
        end_lon, end_lat = corridor.coordinates[-1]
        assert corridor.zone_at(end_lon, end_lat) == [corridor.meta.to_place]


def test_a_corridor_needs_a_route_and_a_positive_half_width() -> None:
    with pytest.raises(ValueError):
        Corridor([(88.0, 29.0)])
    with pytest.raises(ValueError):
        Corridor([(88.0, 29.0), (88.0, 29.0)])
    with pytest.raises(ValueError):
        Corridor([(88.0, 29.0), (87.0, 29.0)], half_width_m=0)
    with pytest.raises(ValueError):
        Zone("z", ZoneKind.REST_STOP)
    assert Corridor([(88.0, 29.0), (87.0, 29.0)], meta=RouteMeta("r")).road_km > 90


def test_a_stored_approved_route_gives_the_same_corridor_as_the_shipped_files() -> None:
    shipped = shipped_corridors()["shigatse-zhangmu"]
    route = ApprovedRoute(
        route_id="shigatse-zhangmu",
        name="Shigatse - Zhangmu",
        from_place="shigatse-land-port",
        to_port="zhangmu-port",
        coordinates=shipped.coordinates,
        road_km=530.0,
        typical_hours=48.0,
        zones=tuple(
            PermittedZone(z.id, z.kind.value, *(z.center or (0.0, 0.0)), z.radius_m or 0.0)
            for z in shipped.zones
        ),
    )
    corridor = corridor_from_approved(route)
    assert corridor.length_m == shipped.length_m and corridor.road_km == 530.0
    assert corridor.zone_at(85.964012, 27.973413) == ["zhangmu-port"]
    assert corridor.meta.approximate and corridor.typical_speed_kmh == pytest.approx(530 / 48)


def test_a_truck_rests_at_a_stopping_place_once_it_has_stood_there_twenty_minutes() -> None:
    arrived = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    town = PermittedZone("old-tingri", "rest_stop", 87.1, 28.6, 1500.0, "Old Tingri", "老定日")
    yard = PermittedZone("yard", "yard", 88.9, 29.3, 800.0)
    assert not town.resting_at(arrived, arrived + timedelta(minutes=19))  # driving through
    assert town.resting_at(arrived, arrived + timedelta(minutes=20))
    assert not yard.resting_at(arrived, arrived + timedelta(hours=5))  # not a place on the way
    assert not town.resting_at(None, arrived)  # a state stored before zones were timed
