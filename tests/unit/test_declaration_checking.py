"""Checking a posted declaration: a broken field never hides the errors of the fields that are
fine, and never causes an error of its own in a rule that reads it."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builders import (
    CONSIGNOR_USCC,
    MISSING,
    declarant,
    make_container_number,
    nev_declaration_payload,
    valid_container_payload,
    valid_declaration_payload,
    valid_item_payload,
)
from landport.adapters.reference_files import load_catalog
from landport.declarations.checking import check_declaration
from landport.declarations.parsing import parse_declaration
from landport.declarations.validation import validate_declaration
from landport.shared.errors import Violation

CATALOG = load_catalog()

TOP_LEVEL_REQUIRED = [
    "trade_mode",
    "consignor_uscc",
    "exit_port",
    "destination_country",
    "transport_mode",
    "trade_terms",
    "vehicle_plate",
    "containers",
    "gross_kg",
    "net_kg",
    "packages",
    "items",
]
TOP_LEVEL_OPTIONAL = ["total_value", "currency"]
ITEM_REQUIRED = ["hs_code", "name", "quantity", "unit", "value", "currency", "origin_province"]
ITEM_OPTIONAL = ["net_kg"]
CONTAINER_REQUIRED = ["number", "size_type", "gross_kg"]

#: (path of a field in the builder payload, whether the declaration requires it)
FIELDS: list[tuple[str, bool]] = [
    *[(key, True) for key in TOP_LEVEL_REQUIRED],
    *[(key, False) for key in TOP_LEVEL_OPTIONAL],
    *[(f"items[0].{key}", True) for key in ITEM_REQUIRED],
    *[(f"items[0].{key}", False) for key in ITEM_OPTIONAL],
    *[(f"containers[0].{key}", True) for key in CONTAINER_REQUIRED],
]


def check(payload: Any) -> tuple[Any, list[Violation]]:
    return check_declaration(payload, CATALOG, actor=declarant())


def found(payload: Any) -> set[tuple[str, str]]:
    return {(v.field, v.code) for v in check(payload)[1]}


def with_field(path: str, value: Any) -> dict[str, Any]:
    """The builder payload with the field at ``path`` (e.g. ``items[0].unit``) set or dropped."""
    payload = valid_declaration_payload()
    target: dict[str, Any] = payload
    if "." in path:
        head, key = path.split(".")
        name, index = head.rstrip("]").split("[")
        target = payload[name][int(index)]
    else:
        key = path
    if value is MISSING:
        del target[key]
    else:
        target[key] = value
    return payload


# --- the result -----------------------------------------------------------------------------


def test_a_valid_payload_gives_its_content_and_no_violations() -> None:
    content, violations = check(valid_declaration_payload())
    assert violations == []
    assert content is not None
    assert content.consignor_uscc == CONSIGNOR_USCC


def test_content_is_given_when_only_business_rules_are_broken() -> None:
    content, violations = check(valid_declaration_payload(trade_mode="0111"))
    assert content is not None
    assert [(v.field, v.code) for v in violations] == [("trade_mode", "unknown_trade_mode")]


def test_content_is_none_when_the_shape_is_broken_even_if_every_business_rule_holds() -> None:
    content, violations = check(valid_declaration_payload(packages=MISSING))
    assert content is None
    assert [(v.field, v.code) for v in violations] == [("packages", "required")]


def test_a_payload_that_is_not_an_object_is_one_wrong_type_problem() -> None:
    content, violations = check([1, 2])
    assert content is None
    assert [(v.field, v.code) for v in violations] == [("", "wrong_type")]


@pytest.mark.parametrize(
    "payload",
    [
        valid_declaration_payload(),
        nev_declaration_payload(),
        valid_declaration_payload(trade_mode="9710", vehicle_plate="XD12345"),
        valid_declaration_payload(items=[valid_item_payload(value="1000")], total_value="1"),
    ],
)
def test_a_sound_shape_is_checked_exactly_like_parse_then_validate(payload: Any) -> None:
    content, shape = parse_declaration(payload)
    assert content is not None and shape == []
    assert check(payload) == (content, validate_declaration(content, CATALOG, actor=declarant()))


def test_shape_problems_come_first_then_business_errors_then_warnings() -> None:
    payload = valid_declaration_payload(
        trade_mode="0111", packages=MISSING, items=[valid_item_payload(value="1000")]
    )
    _, violations = check(payload)
    assert [(v.field, v.code, v.severity) for v in violations] == [
        ("packages", "required", "error"),
        ("trade_mode", "unknown_trade_mode", "error"),
        ("total_value", "total_value_mismatch", "error"),
        ("items[0].value", "value_per_kg_outside_band", "warning"),
    ]


# --- per-field rules still run --------------------------------------------------------------


def test_identifier_errors_are_reported_even_when_a_required_field_is_missing() -> None:
    payload = valid_declaration_payload(
        consignor_uscc="914403001922038217",  # wrong check character
        vehicle_plate="藏DI2345",
        containers=[valid_container_payload(number="CSQU3054384")],
        destination_country=MISSING,
        items=[valid_item_payload(hs_code="850760")],
    )
    assert found(payload) == {
        ("destination_country", "required"),
        ("consignor_uscc", "uscc_check_char"),
        ("consignor_uscc", "not_own_enterprise"),
        ("vehicle_plate", "plate_letter_i_o"),
        ("containers[0].number", "container_check_digit"),
        ("items[0].hs_code", "hs_code_length"),
    }


def test_code_list_errors_are_reported_next_to_malformed_numbers() -> None:
    payload = valid_declaration_payload(
        gross_kg="heavy",
        trade_terms="DAP",
        exit_port="shanghai-port",
        currency="RMB",
        total_value=MISSING,
    )
    assert found(payload) == {
        ("gross_kg", "not_a_number"),
        ("trade_terms", "unknown_trade_terms"),
        ("exit_port", "unknown_exit_port"),
        ("currency", "unknown_currency"),
    }


def test_a_broken_item_does_not_hide_errors_in_another_item() -> None:
    items = [
        valid_item_payload(quantity=MISSING, value="84000", net_kg="7000"),
        valid_item_payload(hs_code="850760", unit="pcs", net_kg="7000", value="84000"),
    ]
    assert found(valid_declaration_payload(items=items)) == {
        ("items[0].quantity", "required"),
        ("items[1].hs_code", "hs_code_length"),
        ("items[1].unit", "unknown_unit"),
    }


def test_the_fine_fields_of_a_broken_item_are_still_checked() -> None:
    items = [valid_item_payload(value="lots", origin_province="tibet-ish", currency="RMB")]
    assert found(valid_declaration_payload(items=items)) == {
        ("items[0].value", "not_a_number"),
        ("items[0].origin_province", "unknown_province"),
        ("items[0].currency", "unknown_currency"),
    }


def test_an_entry_that_is_not_an_object_does_not_hide_errors_in_the_others() -> None:
    items = [valid_item_payload(unit="pcs"), "8507600020"]
    assert found(valid_declaration_payload(items=items)) == {
        ("items[1]", "wrong_type"),
        ("items[0].unit", "unknown_unit"),
    }


def test_a_broken_container_does_not_hide_errors_in_another_container() -> None:
    containers = [
        valid_container_payload(gross_kg=MISSING),
        valid_container_payload(number="CSQU3054384", size_type="22X9"),
    ]
    assert found(valid_declaration_payload(containers=containers)) == {
        ("containers[0].gross_kg", "required"),
        ("containers[1].number", "container_check_digit"),
        ("containers[1].size_type", "unknown_container_size_type"),
    }


def test_a_duplicate_container_is_found_next_to_a_broken_one() -> None:
    box = valid_container_payload(gross_kg="9800")
    other = valid_container_payload(number=make_container_number("MSKU", "123456"), size_type=7)
    containers = [box, other, box]
    assert found(valid_declaration_payload(containers=containers)) == {
        ("containers[1].size_type", "wrong_type"),
        ("containers[2].number", "duplicate_container_number"),
    }


# --- cross-field rules are skipped when an input is unusable --------------------------------


def test_cross_field_rule_is_skipped_when_an_input_is_missing() -> None:
    # gross 100 kg is below both the net mass and the item's net mass
    assert found(valid_declaration_payload(net_kg="heavy", gross_kg="100")) == {
        ("net_kg", "not_a_number")
    }


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param(
            {"gross_kg": MISSING, "net_kg": "99999"},
            {("gross_kg", "required")},
            id="net-within-gross-needs-gross",
        ),
        pytest.param(
            {
                "containers": [
                    valid_container_payload(gross_kg="2400"),  # an empty box, no goods
                    valid_container_payload(
                        number=make_container_number("MSKU", "123456"), gross_kg="-1"
                    ),
                ]
            },
            {("containers[1].gross_kg", "negative")},
            id="goods-within-containers-needs-every-container",
        ),
        pytest.param(
            {"net_kg": "1", "gross_kg": "1", "items": [valid_item_payload(net_kg=[14000])]},
            {("items[0].net_kg", "wrong_type")},
            id="items-net-within-net-needs-every-item-net",
        ),
        pytest.param(
            {
                "total_value": "1",
                "items": [
                    valid_item_payload(value="84000", net_kg="7000"),
                    valid_item_payload(value=True, net_kg="7000"),
                ],
            },
            {("items[1].value", "wrong_type")},
            id="total-value-needs-every-item-value",
        ),
        pytest.param(
            {"total_value": "1", "currency": ["USD"]},
            {("currency", "wrong_type")},
            id="total-value-needs-the-declared-currency",
        ),
        pytest.param(
            {"total_value": "1", "items": [valid_item_payload(currency=MISSING)]},
            {("items[0].currency", "required")},
            id="total-value-needs-every-item-currency",
        ),
        pytest.param(
            {"trade_mode": "9710", "cbec_order_ref": "X" * 65},
            {("cbec_order_ref", "too_long")},
            id="a-malformed-reference-is-not-missing-for-the-trade-mode",
        ),
        pytest.param(
            {"exit_port": MISSING, "transport_mode": "3"},
            {("exit_port", "required")},
            id="by-road-needs-the-exit-port",
        ),
        pytest.param(
            {"items": [valid_item_payload(net_kg="?", value="1000")], "total_value": "1000"},
            {("items[0].net_kg", "not_a_number")},
            id="value-band-never-falls-back-from-a-malformed-item-net",
        ),
        pytest.param(
            {"items": [valid_item_payload(hs_code=MISSING, name="CR2032 纽扣电池")]},
            {("items[0].hs_code", "required")},
            id="lithium-trap-needs-the-hs-code",
        ),
        pytest.param(
            {"consignor_uscc": 91330100716105852},
            {("consignor_uscc", "wrong_type")},
            id="own-enterprise-needs-the-consignor",
        ),
    ],
)
def test_each_cross_field_rule_is_skipped_when_one_of_its_inputs_is_unusable(
    overrides: dict[str, Any], expected: set[tuple[str, str]]
) -> None:
    assert found(valid_declaration_payload(**overrides)) == expected


def test_cross_field_rules_still_run_when_an_unrelated_field_is_broken() -> None:
    payload = valid_declaration_payload(vehicle_plate=MISSING, net_kg="15300")
    assert found(payload) == {
        ("vehicle_plate", "required"),
        ("net_kg", "net_exceeds_gross"),
    }


# --- properties -----------------------------------------------------------------------------


@given(st.sampled_from(FIELDS))
def test_removing_any_single_field_reports_exactly_that_field(field: tuple[str, bool]) -> None:
    path, required = field
    content, violations = check(with_field(path, MISSING))
    assert [(v.field, v.code) for v in violations] == ([(path, "required")] if required else [])
    assert (content is None) == required


@given(
    st.sampled_from([path for path, _ in FIELDS]),
    st.sampled_from([True, {"x": 1}]),
)
def test_a_field_of_the_wrong_type_reports_exactly_that_field(path: str, value: object) -> None:
    content, violations = check(with_field(path, value))
    assert content is None
    assert [(v.field, v.code) for v in violations] == [(path, "wrong_type")]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=200)
@given(st.sampled_from([path for path, _ in FIELDS]), json_values)
def test_any_json_value_in_any_field_is_checked_without_crashing(path: str, value: object) -> None:
    payload = with_field(path, value)
    content, violations = check(payload)
    parsed, shape = parse_declaration(payload)
    assert (content is None) == (parsed is None)
    assert violations[: len(shape)] == shape
    assert all(v.message_en and v.message_zh for v in violations)
    if parsed is not None:
        assert violations == validate_declaration(parsed, CATALOG, actor=declarant())
