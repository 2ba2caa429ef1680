"""Parsing the posted JSON: shape problems are all reported at once, by field path."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from builders import (
    MISSING,
    nev_declaration_payload,
    valid_container_payload,
    valid_declaration_payload,
    valid_item_payload,
)
from landport.declarations.draft import UNUSABLE, DeclarationDraft
from landport.declarations.parsing import MAX_ITEMS, parse_declaration, read_declaration
from landport.shared.errors import Violation

REQUIRED_TOP_LEVEL = [
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
REQUIRED_ITEM = ["hs_code", "name", "quantity", "unit", "value", "currency", "origin_province"]


def problems_of(payload: Any) -> dict[str, str]:
    content, problems = parse_declaration(payload)
    assert content is None
    assert problems
    return {p.field: p.code for p in problems}


def test_the_builder_payload_parses_without_problems() -> None:
    content, problems = parse_declaration(valid_declaration_payload())
    assert problems == []
    assert content is not None
    assert content.consignor_uscc == "91330100716105852F"
    assert content.containers[0].number == "CSQU3054383"
    assert content.items[0].net_kg == Decimal("14000")
    assert content.packages == 20


def test_a_declaration_without_containers_is_accepted_as_an_empty_list() -> None:
    content, problems = parse_declaration(nev_declaration_payload())
    assert problems == []
    assert content is not None
    assert content.containers == []


def test_missing_containers_key_is_required_even_though_the_list_may_be_empty() -> None:
    assert problems_of(valid_declaration_payload(containers=MISSING)) == {"containers": "required"}


@pytest.mark.parametrize("key", REQUIRED_TOP_LEVEL)
def test_each_missing_required_field_is_reported_by_name(key: str) -> None:
    assert problems_of(valid_declaration_payload(**{key: MISSING})) == {key: "required"}


@pytest.mark.parametrize("key", REQUIRED_ITEM)
def test_each_missing_item_field_is_reported_with_its_path(key: str) -> None:
    items = [valid_item_payload(), valid_item_payload(**{key: MISSING})]
    assert problems_of(valid_declaration_payload(items=items)) == {f"items[1].{key}": "required"}


def test_every_problem_is_reported_at_once() -> None:
    payload = valid_declaration_payload(
        trade_mode=MISSING,
        net_kg="-1",
        packages=0,
        containers=[valid_container_payload(gross_kg="heavy")],
        items=[valid_item_payload(), valid_item_payload(hs_code=8507600010, quantity=True)],
        currency="",
    )
    assert problems_of(payload) == {
        "trade_mode": "required",
        "net_kg": "negative",
        "packages": "too_small",
        "containers[0].gross_kg": "not_a_number",
        "items[1].hs_code": "wrong_type",
        "items[1].quantity": "wrong_type",
    }


def test_numbers_may_be_json_numbers_or_numeric_strings_and_stay_exact() -> None:
    payload = valid_declaration_payload(
        gross_kg=15200.1, net_kg=" 14000.05 ", packages="20", total_value=168000
    )
    content, problems = parse_declaration(payload)
    assert problems == []
    assert content is not None
    assert content.gross_kg == Decimal("15200.1")
    assert content.net_kg == Decimal("14000.05")
    assert content.total_value == Decimal("168000")
    assert content.packages == 20


@pytest.mark.parametrize(
    "bad",
    # Decimal reads the last five (and would store 1E+2); a declaration writes digits
    ["NaN", "Infinity", "12kg", "1,000", float("nan"), "1e2", "+5", "1_000", "٣٠٠", "１２３"],
)
def test_values_that_are_not_finite_numbers_are_not_a_number(bad: object) -> None:
    assert problems_of(valid_declaration_payload(gross_kg=bad)) == {"gross_kg": "not_a_number"}


@pytest.mark.parametrize("bad", [82000.123456789, "15200.00001"])
def test_a_figure_with_more_than_four_decimals_is_refused(bad: object) -> None:
    _, problems = parse_declaration(valid_declaration_payload(gross_kg=bad))
    (problem,) = [p for p in problems if p.field == "gross_kg"]
    assert problem.code == "too_precise"
    assert "小数位数不能超过 4 位" in problem.message_zh


@pytest.mark.parametrize("bad", [True, [1], {"kg": 1}])
def test_booleans_lists_and_objects_are_the_wrong_type_for_numbers(bad: object) -> None:
    assert problems_of(valid_declaration_payload(gross_kg=bad)) == {"gross_kg": "wrong_type"}


def test_absurdly_large_numbers_are_refused() -> None:
    huge = "1" + "0" * 20
    assert problems_of(valid_declaration_payload(gross_kg=huge)) == {"gross_kg": "too_large"}
    assert problems_of(valid_declaration_payload(gross_kg=1e300)) == {"gross_kg": "too_large"}


def test_fractional_package_counts_are_not_integers() -> None:
    assert problems_of(valid_declaration_payload(packages=1.5)) == {"packages": "not_an_integer"}


def test_integral_package_counts_given_as_decimals_are_accepted() -> None:
    content, _ = parse_declaration(valid_declaration_payload(packages="3.0"))
    assert content is not None
    assert content.packages == 3


def test_an_empty_item_list_is_reported() -> None:
    assert problems_of(valid_declaration_payload(items=[])) == {"items": "empty_list"}


def test_more_than_fifty_items_are_too_many() -> None:
    items = [valid_item_payload() for _ in range(MAX_ITEMS + 1)]
    assert problems_of(valid_declaration_payload(items=items)) == {"items": "too_many_entries"}


def test_exactly_fifty_items_are_accepted() -> None:
    items = [valid_item_payload() for _ in range(MAX_ITEMS)]
    content, problems = parse_declaration(valid_declaration_payload(items=items))
    assert problems == []
    assert content is not None
    assert len(content.items) == MAX_ITEMS


def test_a_list_given_as_an_object_is_the_wrong_type() -> None:
    payload = valid_declaration_payload(items=valid_item_payload())
    assert problems_of(payload) == {"items": "wrong_type"}


def test_an_item_that_is_not_an_object_is_reported_at_its_index() -> None:
    payload = valid_declaration_payload(items=[valid_item_payload(), "8507600010"])
    assert problems_of(payload) == {"items[1]": "wrong_type"}


def test_a_string_that_is_too_long_is_reported() -> None:
    items = [valid_item_payload(name="电池" * 128)]
    assert problems_of(valid_declaration_payload(items=items)) == {"items[0].name": "too_long"}


def test_blank_required_strings_are_reported_as_blank() -> None:
    assert problems_of(valid_declaration_payload(vehicle_plate="   ")) == {"vehicle_plate": "blank"}


def test_strings_are_stripped_and_blank_optional_strings_count_as_absent() -> None:
    payload = valid_declaration_payload(
        vehicle_plate=" 藏D12345 ", cbec_order_ref="  ", currency=MISSING, total_value=None
    )
    content, problems = parse_declaration(payload)
    assert problems == []
    assert content is not None
    assert content.vehicle_plate == "藏D12345"
    assert content.cbec_order_ref is None
    assert content.currency is None
    assert content.total_value is None


def test_optional_item_net_mass_may_be_left_out() -> None:
    content, _ = parse_declaration(
        valid_declaration_payload(items=[valid_item_payload(net_kg=MISSING)])
    )
    assert content is not None
    assert content.items[0].net_kg is None


def test_unknown_extra_keys_are_ignored() -> None:
    payload = valid_declaration_payload(remarks="urgent", status="released")
    content, problems = parse_declaration(payload)
    assert problems == []
    assert content is not None


def test_a_payload_that_is_not_an_object_is_one_wrong_type_problem() -> None:
    content, problems = parse_declaration([1, 2])  # type: ignore[arg-type]
    assert content is None
    assert [(p.field, p.code) for p in problems] == [("", "wrong_type")]


def test_messages_are_bilingual_and_name_the_field() -> None:
    _, problems = parse_declaration(
        valid_declaration_payload(items=[valid_item_payload(hs_code=MISSING)])
    )
    (problem,) = problems
    assert problem.severity == "error"
    assert "items[0].hs_code" in problem.message_en
    assert "items[0].hs_code（商品编号）" in problem.message_zh
    assert "必填" in problem.message_zh


# --- the draft: what the business rules run on when the shape is partly broken --------------


def test_a_broken_field_is_unusable_in_the_draft_while_the_others_keep_their_values() -> None:
    draft, problems = read_declaration(valid_declaration_payload(gross_kg="heavy"))
    assert [(p.field, p.code) for p in problems] == [("gross_kg", "not_a_number")]
    assert draft is not None
    assert draft.gross_kg is UNUSABLE
    assert draft.net_kg == Decimal("14000")
    assert draft.complete() is None


def test_an_entry_that_is_not_an_object_keeps_its_place_in_the_draft() -> None:
    items = ["8507600020", valid_item_payload(unit="pcs")]
    draft, _ = read_declaration(valid_declaration_payload(items=items))
    assert draft is not None and draft.items is not UNUSABLE
    assert [item.unit for item in draft.items] == [UNUSABLE, "pcs"]


def test_optional_fields_left_out_are_none_and_malformed_ones_are_unusable() -> None:
    payload = valid_declaration_payload(total_value=MISSING, currency=["USD"])
    payload["items"][0]["net_kg"] = "-3"
    draft, _ = read_declaration(payload)
    assert draft is not None and draft.items is not UNUSABLE
    assert (draft.total_value, draft.currency) == (None, UNUSABLE)
    assert draft.items[0].net_kg is UNUSABLE


def test_a_payload_that_is_not_an_object_has_no_draft() -> None:
    draft, problems = read_declaration("declaration")  # type: ignore[arg-type]
    assert draft is None
    assert [(p.field, p.code) for p in problems] == [("", "wrong_type")]


def test_the_draft_of_parsed_content_completes_to_the_same_content() -> None:
    for payload in (valid_declaration_payload(), nev_declaration_payload()):
        content, _ = parse_declaration(payload)
        assert content is not None
        assert DeclarationDraft.of(content).complete() == content


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=80),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)


@given(st.sampled_from([*REQUIRED_TOP_LEVEL, "total_value", "currency"]), json_values)
def test_any_json_value_in_any_field_parses_or_is_reported_under_that_field(
    key: str, value: object
) -> None:
    content, problems = parse_declaration(valid_declaration_payload(**{key: value}))
    assert (content is None) == bool(problems)
    assert all(isinstance(p, Violation) for p in problems)
    assert all(p.field == key or p.field.startswith((f"{key}.", f"{key}[")) for p in problems)
    assert all(p.message_en and p.message_zh for p in problems)


@pytest.mark.parametrize("written", ["藏D·12345", "藏D 12345", "藏d12345", "藏D-12345"])
def test_a_plate_as_printed_or_typed_is_read_as_one_plate(written: str) -> None:
    """The dot printed on a plate, a space or lower case: the gate already reads them as one
    plate, and so does the declaration."""
    content, problems = parse_declaration(valid_declaration_payload(vehicle_plate=written))
    assert problems == []
    assert content is not None and content.vehicle_plate == "藏D12345"
