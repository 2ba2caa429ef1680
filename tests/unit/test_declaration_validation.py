"""Business rules of a declaration: each broken rule is reported at once, in two languages."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builders import (
    CONSIGNOR_USCC,
    MISSING,
    customs_officer,
    declarant,
    make_container_number,
    make_uscc,
    nev_declaration_payload,
    nev_item_payload,
    valid_container_payload,
    valid_declaration_content,
    valid_declaration_payload,
    valid_item_payload,
)
from landport.adapters.reference_files import load_catalog
from landport.declarations.validation import (
    canonical_trade_terms,
    validate_declaration,
    value_band_breaches,
)
from landport.enterprises.model import Actor
from landport.shared.errors import Violation

CATALOG = load_catalog()


def check(actor: Actor | None = None, **overrides: Any) -> list[Violation]:
    content = valid_declaration_content(**overrides)
    return validate_declaration(content, CATALOG, actor=actor or declarant())


def codes(actor: Actor | None = None, **overrides: Any) -> dict[str, str]:
    return {v.field: v.code for v in check(actor, **overrides)}


def only(actor: Actor | None = None, **overrides: Any) -> Violation:
    (violation,) = check(actor, **overrides)
    return violation


def test_the_builder_declaration_breaks_no_rule() -> None:
    assert check() == []


def test_the_nev_declaration_on_a_car_carrier_breaks_no_rule() -> None:
    from landport.declarations.parsing import parse_declaration

    content, _ = parse_declaration(nev_declaration_payload())
    assert content is not None
    assert validate_declaration(content, CATALOG, actor=declarant()) == []


# --- code lists ----------------------------------------------------------------------------


def test_unknown_trade_mode_is_reported() -> None:
    assert codes(trade_mode="0111") == {"trade_mode": "unknown_trade_mode"}


def test_unknown_transport_mode_is_reported() -> None:
    assert codes(transport_mode="6") == {"transport_mode": "unknown_transport_mode"}


def test_exit_via_a_border_port_must_be_by_road_and_says_so() -> None:
    v = only(transport_mode="3")
    assert (v.field, v.code) == ("transport_mode", "transport_mode_not_road")
    assert "should be 4" in v.message_en
    assert "运输方式应为 4" in v.message_zh


@pytest.mark.parametrize("terms", ["3", "FOB", "fob", "7", "EXW"])
def test_trade_terms_are_accepted_as_code_or_incoterm_name(terms: str) -> None:
    assert check(trade_terms=terms) == []


def test_trade_terms_codes_are_canonical() -> None:
    assert canonical_trade_terms("FOB", CATALOG) == "3"
    assert canonical_trade_terms("3", CATALOG) == "3"
    assert canonical_trade_terms("DAP", CATALOG) is None


def test_unknown_trade_terms_are_reported() -> None:
    assert codes(trade_terms="DAP") == {"trade_terms": "unknown_trade_terms"}


@pytest.mark.parametrize("port", ["zhangmu-port", "lizi-port"])
def test_every_border_exit_port_is_accepted(port: str) -> None:
    assert check(exit_port=port) == []


def test_unknown_exit_port_lists_the_ports_of_this_land_port() -> None:
    v = only(exit_port="shanghai-port")
    assert v.code == "unknown_exit_port"
    assert "gyirong-port" in v.message_en
    assert "gyirong-port" in v.message_zh


def test_china_cannot_be_the_destination_of_an_export() -> None:
    assert codes(destination_country="CN") == {"destination_country": "destination_is_china"}


def test_lower_case_country_code_is_reported_with_the_upper_case_form() -> None:
    v = only(destination_country="np")
    assert v.code == "country_code_not_upper_case"
    assert "'NP'" in v.message_en


def test_unknown_country_code_is_reported() -> None:
    assert codes(destination_country="XX") == {"destination_country": "unknown_country"}


def test_unknown_declaration_currency_is_reported() -> None:
    assert codes(currency="RMB", total_value=MISSING) == {"currency": "unknown_currency"}


# --- consignor and vehicle ------------------------------------------------------------------


def test_wrong_uscc_check_character_is_reported_with_expected_character() -> None:
    wrong = CONSIGNOR_USCC[:-1] + "E"
    v = only(declarant(wrong), consignor_uscc=wrong)
    assert (v.field, v.code) == ("consignor_uscc", "uscc_check_char")
    assert "should be F" in v.message_en
    assert "校验码错误，应为 F" in v.message_zh


def test_short_uscc_is_a_length_error() -> None:
    short = CONSIGNOR_USCC[:17]
    assert codes(declarant(short), consignor_uscc=short) == {"consignor_uscc": "uscc_length"}


def test_a_declarant_may_declare_only_for_its_own_enterprise() -> None:
    other = make_uscc("91540200MA6T00001")
    v = only(declarant(other))
    assert (v.field, v.code) == ("consignor_uscc", "not_own_enterprise")
    assert other in v.message_en


def test_officials_are_not_bound_to_an_enterprise() -> None:
    assert check(customs_officer()) == []


@pytest.mark.parametrize("plate", ["藏D12345", "藏DD12345", "藏D12345D", "浙B7K3M2", "藏D1234挂"])
def test_valid_plates_from_any_province_pass(plate: str) -> None:
    assert check(vehicle_plate=plate) == []


@pytest.mark.parametrize(
    ("plate", "code"),
    [("藏DI2345", "plate_letter_i_o"), ("藏D1234", "plate_length"), ("XD12345", "plate_province")],
)
def test_invalid_plates_are_reported_with_their_reason(plate: str, code: str) -> None:
    assert codes(vehicle_plate=plate) == {"vehicle_plate": code}


# --- containers -----------------------------------------------------------------------------


def test_wrong_check_digit_is_reported_with_expected_digit() -> None:
    v = only(containers=[valid_container_payload(number="CSQU3054384")])
    assert (v.field, v.code) == ("containers[0].number", "container_check_digit")
    assert "should be 3" in v.message_en
    assert "集装箱箱号校验位错误，应为 3" in v.message_zh


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("CSQ3054383", "container_number_format"),
        ("CSQX3054383", "container_category"),
        ("csqu3054383", "container_number_format"),
    ],
)
def test_invalid_container_numbers_are_reported_with_their_reason(number: str, code: str) -> None:
    containers = [valid_container_payload(number=number)]
    assert codes(containers=containers) == {"containers[0].number": code}


def test_a_container_listed_twice_is_reported_on_the_second_line() -> None:
    box = valid_container_payload(gross_kg="9800")  # half the goods + a 2 200 kg tare
    assert codes(containers=[box, box]) == {"containers[1].number": "duplicate_container_number"}


def test_unknown_container_size_type_is_reported() -> None:
    containers = [valid_container_payload(size_type="22X9")]
    assert codes(containers=containers) == {
        "containers[0].size_type": "unknown_container_size_type"
    }


def test_container_over_its_rated_gross_is_reported_with_the_maximum() -> None:
    v = only(containers=[valid_container_payload(gross_kg="30481")])
    assert (v.field, v.code) == ("containers[0].gross_kg", "container_over_max_gross")
    assert "30480" in v.message_en


def test_goods_heavier_than_their_containers_are_reported() -> None:
    containers = [valid_container_payload(gross_kg="15000")]
    assert codes(containers=containers) == {"gross_kg": "gross_exceeds_containers"}


def test_goods_spread_over_two_containers_are_compared_with_their_sum() -> None:
    second = make_container_number("MSKU", "123456")
    containers = [
        valid_container_payload(gross_kg="9800"),  # 7 600 kg of goods + 2 200 kg tare
        valid_container_payload(number=second, gross_kg="9800"),
    ]
    assert check(containers=containers) == []


# --- items ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hs_code", "code"), [("870380", "hs_code_length"), ("85076000l0", "hs_code_not_digits")]
)
def test_invalid_hs_codes_are_reported_on_the_item(hs_code: str, code: str) -> None:
    items = [valid_item_payload(hs_code=hs_code)]
    assert codes(items=items)["items[0].hs_code"] == code


def test_six_digit_hs_code_message_asks_for_ten_digits() -> None:
    (v,) = [v for v in check(items=[valid_item_payload(hs_code="850760")]) if v.severity == "error"]
    assert "10-digit" in v.message_en
    assert "应为 10 位" in v.message_zh


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("unit", "pcs", "unknown_unit"),
        ("currency", "RMB", "unknown_currency"),
        ("origin_province", "浙江", "unknown_province"),
        ("quantity", "0", "not_positive"),
        ("value", "0", "not_positive"),
        ("net_kg", "0", "not_positive"),
    ],
)
def test_bad_item_fields_are_reported_with_their_path(field: str, value: str, code: str) -> None:
    items = [valid_item_payload(), valid_item_payload(**{field: value})]
    found = check(items=items, total_value=MISSING, net_kg="15000")
    assert (f"items[1].{field}", code) in [(v.field, v.code) for v in found]


def test_every_broken_rule_is_reported_at_once() -> None:
    found = codes(
        trade_mode="0111",
        destination_country="CN",
        vehicle_plate="XD12345",
        containers=[valid_container_payload(number="CSQU3054384")],
        items=[valid_item_payload(unit="pcs", origin_province="tibet-ish")],
    )
    assert found == {
        "trade_mode": "unknown_trade_mode",
        "destination_country": "destination_is_china",
        "vehicle_plate": "plate_province",
        "containers[0].number": "container_check_digit",
        "items[0].unit": "unknown_unit",
        "items[0].origin_province": "unknown_province",
    }


# --- masses and values ----------------------------------------------------------------------


def test_net_mass_above_gross_mass_is_reported() -> None:
    assert codes(net_kg="15300", items=[valid_item_payload(net_kg="15300")]) == {
        "net_kg": "net_exceeds_gross"
    }


def test_items_net_masses_above_the_declared_net_mass_are_reported() -> None:
    items = [valid_item_payload(net_kg="8000", value="84000"), valid_item_payload(net_kg="7000")]
    assert codes(items=items, total_value="252000") == {"net_kg": "items_net_exceed_net"}


def test_items_net_masses_rounded_to_the_kilogram_are_tolerated() -> None:
    items = [
        valid_item_payload(net_kg="7000.4", value="84000"),
        valid_item_payload(net_kg="7000.4", value="84000"),
    ]
    assert check(items=items) == []


def test_items_net_masses_are_not_compared_when_one_is_missing() -> None:
    items = [valid_item_payload(net_kg="90000", value="84000"), valid_item_payload(net_kg=MISSING)]
    assert "net_kg" not in codes(items=items, total_value=MISSING)


def test_total_value_must_equal_the_sum_of_items_and_names_the_expected_sum() -> None:
    v = only(total_value="168000.02")
    assert (v.field, v.code) == ("total_value", "total_value_mismatch")
    assert "168000.00 USD" in v.message_en


def test_total_value_within_a_cent_is_accepted() -> None:
    assert check(total_value="168000.01") == []


def test_items_in_another_currency_than_the_total_are_reported() -> None:
    items = [
        valid_item_payload(value="84000", net_kg="7000"),
        valid_item_payload(value="600000", currency="CNY", net_kg="7000"),
    ]
    found = codes(items=items, total_value="168000")
    assert found == {"items[1].currency": "total_value_currency_mismatch"}


def test_a_total_without_currency_over_mixed_item_currencies_is_reported() -> None:
    items = [
        valid_item_payload(value="84000", net_kg="7000"),
        valid_item_payload(value="600000", currency="CNY", net_kg="7000"),
    ]
    found = codes(items=items, total_value="168000", currency=MISSING)
    assert found == {"currency": "total_value_mixed_currencies"}


def test_a_total_without_currency_is_compared_in_the_items_single_currency() -> None:
    assert check(currency=MISSING) == []
    assert codes(currency=MISSING, total_value="1") == {"total_value": "total_value_mismatch"}


@pytest.mark.parametrize(
    ("mode", "field"), [("9710", "cbec_order_ref"), ("9810", "warehouse_booking_ref")]
)
def test_cross_border_e_commerce_modes_need_their_reference(mode: str, field: str) -> None:
    v = only(trade_mode=mode)
    assert (v.field, v.code) == (field, "required_by_trade_mode")
    assert mode in v.message_en and mode in v.message_zh
    reference: dict[str, Any] = {field: "EC20260101-0001"}
    assert check(trade_mode=mode, **reference) == []


# --- warnings -------------------------------------------------------------------------------


def test_lithium_ion_named_goods_under_the_primary_heading_are_a_warning() -> None:
    items = [valid_item_payload(hs_code="8506500000", name="Li-ion battery pack")]
    v = only(items=items)
    assert (v.field, v.code, v.severity) == (
        "items[0].hs_code",
        "lithium_heading_mismatch",
        "warning",
    )
    assert "8507.60" in v.message_en
    assert "8507.60" in v.message_zh


def test_primary_lithium_named_goods_under_the_ion_heading_are_a_warning() -> None:
    items = [valid_item_payload(name="CR2032 纽扣电池")]
    v = only(items=items)
    assert (v.code, v.severity) == ("lithium_heading_mismatch", "warning")
    assert "8506.50" in v.message_en


def test_non_rechargeable_is_not_mistaken_for_rechargeable() -> None:
    items = [valid_item_payload(hs_code="8506500000", name="Non-rechargeable lithium metal cells")]
    assert check(items=items) == []


def test_correctly_named_lithium_ion_batteries_raise_no_warning() -> None:
    assert check(items=[valid_item_payload(name="动力电池 lithium-ion")]) == []


def test_value_per_kg_outside_the_band_is_a_warning_not_an_error() -> None:
    items = [valid_item_payload(value="1000")]
    v = only(items=items, total_value="1000")
    assert (v.field, v.code, v.severity) == (
        "items[0].value",
        "value_per_kg_outside_band",
        "warning",
    )
    assert "8507600020" in v.message_en


def test_value_band_breaches_name_the_hs_codes_once_each() -> None:
    items = [
        valid_item_payload(value="100", net_kg="7000"),
        valid_item_payload(value="100", net_kg="7000"),
        nev_item_payload(),
    ]
    content = valid_declaration_content(items=items, total_value=MISSING, net_kg="15000")
    assert value_band_breaches(content, CATALOG) == ("8507600020",)


def test_single_item_without_net_mass_uses_the_declaration_net_mass() -> None:
    content = valid_declaration_content(
        items=[valid_item_payload(net_kg=MISSING, value="1000")], total_value=MISSING
    )
    assert value_band_breaches(content, CATALOG) == ("8507600020",)


def test_several_items_without_net_mass_are_not_judged_by_value_per_kg() -> None:
    items = [valid_item_payload(net_kg=MISSING, value="1")] * 2
    content = valid_declaration_content(items=items, total_value=MISSING)
    assert value_band_breaches(content, CATALOG) == ()


def test_warnings_come_after_errors() -> None:
    items = [valid_item_payload(value="1000")]
    found = check(items=items, total_value="1000", trade_mode="0111")
    assert [v.severity for v in found] == ["error", "warning"]


def test_nev_payload_builder_is_consistent_with_its_item() -> None:
    assert nev_declaration_payload()["items"][0]["hs_code"] == "8703800000"
    assert valid_declaration_payload()["items"] is not valid_declaration_payload()["items"]


# --- properties -----------------------------------------------------------------------------


@settings(max_examples=50)
@given(st.sampled_from(sorted(CATALOG.plate_prefixes)), st.sampled_from(sorted(CATALOG.provinces)))
def test_trucks_and_goods_from_any_province_are_accepted(prefix: str, province: str) -> None:
    items = [valid_item_payload(origin_province=province)]
    assert check(vehicle_plate=f"{prefix}A12345", items=items) == []


@settings(max_examples=50)
@given(st.sampled_from(sorted(CATALOG.countries - {"CN"})))
def test_any_foreign_destination_is_accepted(country: str) -> None:
    assert check(destination_country=country) == []


def test_every_message_is_bilingual_and_names_its_field() -> None:
    found = check(
        customs_officer(),
        trade_mode="9710",
        consignor_uscc="X",
        vehicle_plate="藏D1234",
        currency="RMB",
        containers=[valid_container_payload(size_type="99Z9", gross_kg="0")],
        items=[valid_item_payload(hs_code="8506500000", unit="pcs", quantity="0", value="1")],
    )
    assert len(found) >= 9
    for v in found:
        assert v.field in v.message_en
        assert v.field in v.message_zh
        assert v.message_zh != v.message_en


def test_a_currency_written_in_lower_case_is_told_so() -> None:
    """'usd' is USD: the refusal says to write it in upper case, as it does for countries."""
    assert codes(currency="usd", total_value=MISSING) == {
        "currency": "currency_code_not_upper_case"
    }
    assert "'USD'" in only(currency="usd", total_value=MISSING).message_en
