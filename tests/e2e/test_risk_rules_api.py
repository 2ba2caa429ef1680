"""The port administrator manages versioned rules; every assessment records its version."""

from __future__ import annotations

import copy

from goods import furniture_payload
from landport.adapters.risk_files import default_ruleset
from world import World


def test_admin_publishes_a_new_version_that_the_next_assessment_uses(world: World) -> None:
    current = world.get("admin", "/api/v1/risk/rulesets/current").json()
    document = copy.deepcopy(current["document"])
    document["rules"].append(
        {
            "id": "R-SOFA-RED",
            "description_en": "Upholstered seats: examination campaign",
            "description_zh": "软体座椅专项查验",
            "enabled": True,
            "when": {"hs_prefix": ["940161"]},
            "then": {"force_lane": "red"},
        }
    )
    published = world.post("admin", "/api/v1/risk/rulesets?comment=campaign", document)
    assert published.status_code == 201, published.text
    version = published.json()["version"]
    assert version == current["version"] + 1
    d = world.lodge(furniture_payload(), submit=True).json()
    assert d["lane"] == "red"
    assessed = world.get("officer", f"/api/v1/declarations/{d['id']}").json()["assessment"]
    assert assessed["ruleset_version"] == version
    versions = [v["version"] for v in world.get("officer", "/api/v1/risk/rulesets").json()["items"]]
    assert versions[:2] == [version, current["version"]]


def test_an_invalid_rule_is_refused_with_its_path(world: World) -> None:
    document = copy.deepcopy(default_ruleset())
    document["rules"][2]["then"] = {"force_lane": "purple"}
    response = world.post("admin", "/api/v1/risk/rulesets", document)
    assert response.status_code == 422
    assert any(e["field"].startswith("rules[2].then") for e in response.json()["errors"])


def test_only_the_port_admin_publishes_rules(world: World) -> None:
    response = world.post("officer", "/api/v1/risk/rulesets", default_ruleset())
    assert response.status_code == 403
    assert world.get("exporter", "/api/v1/risk/rulesets").status_code == 403
