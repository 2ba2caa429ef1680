"""A container's declared gross mass includes its tare: an empty box is never weightless.

Typical tares are approximate reference data (data/declaration_rules.json); a box may be up to
25 % lighter than the typical tare of its size type, never more.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from builders import (
    declarant,
    make_container_number,
    valid_container_payload,
    valid_declaration_content,
    valid_declaration_payload,
)
from goods import furniture_payload, primary_lithium_payload
from landport.adapters.reference_files import load_catalog, load_documents
from landport.declarations.checking import check_declaration
from landport.declarations.validation import validate_declaration
from landport.demo.dataset import ENTERPRISES, _payload
from landport.reference.catalog import build_catalog
from landport.shared.errors import Violation
from landport.simulation import cargo

CATALOG = load_catalog()
#: The builder's goods: 15 200 kg gross, in one 20 ft general-purpose box (22G1).
GOODS_KG = 15200
SECOND = make_container_number("MSKU", "123456")


def check(**overrides: Any) -> list[Violation]:
    content = valid_declaration_content(**overrides)
    return validate_declaration(content, CATALOG, actor=declarant())


def codes(**overrides: Any) -> dict[str, str]:
    return {v.field: v.code for v in check(**overrides)}


def only(**overrides: Any) -> Violation:
    (violation,) = check(**overrides)
    return violation


def box(size_type: str, gross_kg: int | str, number: str = SECOND) -> dict[str, Any]:
    return valid_container_payload(number=number, size_type=size_type, gross_kg=str(gross_kg))


# --- the reference data ---------------------------------------------------------------------


def test_every_known_size_type_has_a_tare_with_a_25_percent_lower_bound() -> None:
    assert set(CATALOG.container_tares) == set(CATALOG.container_max_gross_kg)
    for code, tare in CATALOG.container_tares.items():
        assert Decimal(1500) <= tare.typical_kg <= Decimal(6000), code
        assert tare.min_kg == int(tare.typical_kg * Decimal("0.75")), code
    assert CATALOG.container_tares["22G1"].min_kg == 1650
    assert CATALOG.container_tares["42G1"].min_kg == 2812


def test_the_tares_are_marked_approximate_in_the_data_file() -> None:
    size_types = load_documents()["declaration_rules"]["container_size_types"]
    assert size_types["tare_confidence"].startswith("approximate")
    assert size_types["tare_tolerance_below"] == 0.25


def test_a_reference_file_without_tares_judges_no_tare() -> None:
    docs = load_documents()
    for entry in docs["declaration_rules"]["container_size_types"]["entries"]:
        del entry["tare_kg"]
    catalog = build_catalog(docs)
    assert catalog.container_tares == {}
    content = valid_declaration_content(containers=[valid_container_payload(gross_kg="15200")])
    assert validate_declaration(content, catalog, actor=declarant()) == []


# --- one container: it carries all the goods ------------------------------------------------


def test_a_container_weighing_no_more_than_its_goods_is_refused_naming_field_and_rule() -> None:
    v = only(containers=[valid_container_payload(gross_kg=str(GOODS_KG))])  # tare 0 kg
    assert (v.field, v.code) == ("containers[0].gross_kg", "container_gross_below_tare")
    assert v.severity == "error"
    for figure in ("15200", "16850", "1650", "2200", "22G1"):
        assert figure in v.message_en
        assert figure in v.message_zh
    assert "tare" in v.message_en
    assert "空箱自重" in v.message_zh


def test_a_container_with_a_realistic_tare_is_accepted() -> None:
    assert check(containers=[valid_container_payload(gross_kg=str(GOODS_KG + 2200))]) == []


@pytest.mark.parametrize("tare_kg", [1650, 1700, 2000])
def test_a_light_box_within_the_tolerance_is_accepted(tare_kg: int) -> None:
    assert check(containers=[valid_container_payload(gross_kg=str(GOODS_KG + tare_kg))]) == []


@pytest.mark.parametrize("tare_kg", [0, 1, 1000, 1649])
def test_a_box_lighter_than_the_tolerance_allows_is_refused(tare_kg: int) -> None:
    containers = [valid_container_payload(gross_kg=str(GOODS_KG + tare_kg))]
    assert codes(containers=containers) == {"containers[0].gross_kg": "container_gross_below_tare"}


@pytest.mark.parametrize(
    ("size_type", "least_kg"),
    [("42G1", 2812), ("45G1", 2925), ("22R1", 2250), ("45R1", 3450)],
)
def test_the_tare_bound_depends_on_the_size_type(size_type: str, least_kg: int) -> None:
    assert check(containers=[box(size_type, GOODS_KG + least_kg)]) == []
    v = only(containers=[box(size_type, GOODS_KG + least_kg - 1)])
    assert (v.field, v.code) == ("containers[0].gross_kg", "container_gross_below_tare")
    assert size_type in v.message_en and str(least_kg) in v.message_en


def test_goods_heavier_than_their_only_container_are_reported_once() -> None:
    containers = [valid_container_payload(gross_kg="15000")]
    assert codes(containers=containers) == {"gross_kg": "gross_exceeds_containers"}


def test_an_unknown_size_type_is_reported_as_before_and_its_tare_not_judged() -> None:
    containers = [valid_container_payload(size_type="22X9", gross_kg=str(GOODS_KG))]
    assert codes(containers=containers) == {
        "containers[0].size_type": "unknown_container_size_type"
    }


# --- several containers: how the goods spread over them is not declared ---------------------


def test_mixed_sizes_with_realistic_tares_are_accepted() -> None:
    containers = [box("22G1", 7600 + 2200, "CSQU3054383"), box("45R1", 7600 + 4600)]
    assert check(containers=containers) == []


def test_mixed_sizes_light_but_within_the_tolerance_are_accepted() -> None:
    # exactly the goods plus 1 650 kg (22G1) and 3 450 kg (45R1)
    containers = [box("22G1", 7600 + 1650, "CSQU3054383"), box("45R1", 7600 + 3450)]
    assert check(containers=containers) == []


def test_mixed_sizes_whose_sum_leaves_too_little_for_the_tares_are_refused() -> None:
    containers = [box("22G1", 9000, "CSQU3054383"), box("45R1", 11299)]
    v = only(containers=containers)
    assert (v.field, v.code) == ("gross_kg", "gross_and_tare_exceed_containers")
    for figure in ("15200", "5100", "20300", "20299"):  # goods, 1650 + 3450, sum, boxes
        assert figure in v.message_en
        assert figure in v.message_zh


def test_a_box_of_several_lighter_than_its_own_empty_mass_is_refused_on_its_line() -> None:
    containers = [box("22G1", 20000, "CSQU3054383"), box("45R1", 3449)]
    assert codes(containers=containers) == {"containers[1].gross_kg": "container_gross_below_tare"}


def test_a_box_of_unknown_size_type_counts_no_tare_in_the_sum() -> None:
    containers = [box("22G1", 9000, "CSQU3054383"), box("22X9", 7850)]  # 15 200 + 1 650 kg
    assert codes(containers=containers) == {
        "containers[1].size_type": "unknown_container_size_type"
    }
    containers = [box("22G1", 9000, "CSQU3054383"), box("22X9", 7849)]
    assert codes(containers=containers) == {
        "containers[1].size_type": "unknown_container_size_type",
        "gross_kg": "gross_and_tare_exceed_containers",
    }


def test_the_sum_is_not_judged_when_a_container_mass_is_unusable() -> None:
    containers = [valid_container_payload(gross_kg="9000"), box("45R1", "heavy")]
    _, found = check_declaration(
        valid_declaration_payload(containers=containers), CATALOG, actor=declarant()
    )
    assert [(v.field, v.code) for v in found] == [("containers[1].gross_kg", "not_a_number")]


# --- everything that builds declarations stays valid ----------------------------------------


@pytest.mark.parametrize("payload", [furniture_payload(), primary_lithium_payload()])
def test_the_lane_test_goods_are_valid(payload: dict[str, Any]) -> None:
    _, found = check_declaration(payload, CATALOG, actor=declarant())
    assert [v for v in found if v.severity == "error"] == []


@pytest.mark.parametrize("goods", sorted(cargo.GOODS))
def test_every_twin_cargo_declaration_is_valid(goods: str) -> None:
    exporter = cargo.exporter("zhejiang", goods)
    plate = cargo.plate("zhejiang", 7)
    payload = cargo.declaration_payload(
        exporter, serial=7, truck_plate=plate, exit_port="gyirong-port", catalog=CATALOG
    )
    actor = declarant(exporter.uscc, exporter.username)
    _, found = check_declaration(payload, CATALOG, actor=actor)
    assert [v for v in found if v.severity == "error"] == []


@pytest.mark.parametrize("enterprise", ENTERPRISES, ids=lambda e: e.declarant)
def test_every_demo_declaration_is_valid(enterprise: Any) -> None:
    actor = declarant(enterprise.uscc, enterprise.declarant)
    for n, goods in enumerate(enterprise.goods):
        _, found = check_declaration(_payload(enterprise, goods, n, CATALOG), CATALOG, actor=actor)
        assert [v for v in found if v.severity == "error"] == [], goods["hs_code"]
