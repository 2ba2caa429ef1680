"""Identifier validators: the public examples, the reason codes, and check-digit properties."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from landport.adapters.reference_files import load_catalog
from landport.shared.identifiers import (
    CONTAINER_CATEGORY,
    CONTAINER_CHECK_DIGIT,
    CONTAINER_NUMBER_FORMAT,
    HS_CODE_LENGTH,
    HS_CODE_NOT_DIGITS,
    PLATE_FORMAT,
    PLATE_LENGTH,
    PLATE_LETTER_I_O,
    PLATE_PROVINCE,
    USCC_CHARSET,
    USCC_CHECK_CHAR,
    USCC_LENGTH,
    USCC_SYMBOLS,
    check_container_number,
    check_hs_code,
    check_uscc,
    check_vehicle_plate,
    iso6346_check_digit,
    uscc_check_char,
)

PLATE_PREFIXES = load_catalog().plate_prefixes

# --- examples from validation_examples.json, copied as literals ----------------------------

VALID_CONTAINERS = ["CSQU3054383", "MWCU6059784", "MSCU1234566", "TGHU0000013"]
INVALID_CONTAINERS = [
    ("CSQU3054384", CONTAINER_CHECK_DIGIT),  # wrong check digit
    ("CSQ3054383", CONTAINER_NUMBER_FORMAT),  # owner code plus category must be 4 letters
    ("CSQX3054383", CONTAINER_CATEGORY),  # category letter must be U, J or Z
    ("csqu3054383", CONTAINER_NUMBER_FORMAT),  # lower case is a format error
]
VALID_USCCS = [
    "914403001922038216",
    "9144030071526726XG",
    "91330100716105852F",
    "91350100M000100Y43",
]
INVALID_USCCS = [
    ("914403001922038217", USCC_CHECK_CHAR),  # wrong check character
    ("91440300192203821", USCC_LENGTH),  # 17 characters
    ("91440300I922038216", USCC_CHARSET),  # I is not in the symbol set
]
VALID_PLATES = ["藏D12345", "藏DD12345", "藏D12345D", "浙B7K3M2", "藏D1234挂"]
INVALID_PLATES = [
    ("藏DI2345", PLATE_LETTER_I_O),  # letter I is never used
    ("藏D1234", PLATE_LENGTH),  # too short
    ("XD12345", PLATE_PROVINCE),  # first character must be a province character
]
VALID_HS_CODES = ["8703800000", "8507600010", "8541430000", "5701100000"]
INVALID_HS_CODES = [
    ("870380", HS_CODE_LENGTH),  # 6 digits: a declaration needs 10
    ("85076000l0", HS_CODE_NOT_DIGITS),  # not all digits
]


@pytest.mark.parametrize("number", VALID_CONTAINERS)
def test_valid_container_numbers_are_accepted_unchanged(number: str) -> None:
    result = check_container_number(number)
    assert result.ok
    assert result.value == number


@pytest.mark.parametrize(("number", "reason"), INVALID_CONTAINERS)
def test_invalid_container_numbers_are_rejected_with_their_reason(number: str, reason: str) -> None:
    result = check_container_number(number)
    assert not result.ok
    assert result.reason == reason


def test_wrong_container_check_digit_is_reported_with_expected_digit() -> None:
    assert check_container_number("CSQU3054384").expected == "3"


def test_container_check_digit_is_computed_from_the_first_ten_characters() -> None:
    assert iso6346_check_digit("CSQU305438") == 3
    assert iso6346_check_digit("MSCU123456") == 6


def test_container_check_digit_computation_refuses_malformed_input() -> None:
    with pytest.raises(ValueError):
        iso6346_check_digit("csqu305438")


@pytest.mark.parametrize("code", VALID_USCCS)
def test_valid_usccs_are_accepted(code: str) -> None:
    assert check_uscc(code).ok


@pytest.mark.parametrize(("code", "reason"), INVALID_USCCS)
def test_invalid_usccs_are_rejected_with_their_reason(code: str, reason: str) -> None:
    assert check_uscc(code).reason == reason


def test_wrong_uscc_check_character_is_reported_with_expected_character() -> None:
    assert check_uscc("914403001922038217").expected == "6"


def test_uscc_check_character_of_a_known_code_is_its_last_character() -> None:
    assert uscc_check_char("9144030071526726X") == "G"


def test_lower_case_uscc_is_a_charset_error() -> None:
    assert check_uscc("9144030071526726xg").reason == USCC_CHARSET


@pytest.mark.parametrize("plate", VALID_PLATES)
def test_valid_plates_are_accepted_and_name_their_province(plate: str) -> None:
    result = check_vehicle_plate(plate, PLATE_PREFIXES)
    assert result.ok
    assert result.value == ("zhejiang" if plate.startswith("浙") else "tibet")


@pytest.mark.parametrize(("plate", "reason"), INVALID_PLATES)
def test_invalid_plates_are_rejected_with_their_reason(plate: str, reason: str) -> None:
    assert check_vehicle_plate(plate, PLATE_PREFIXES).reason == reason


@pytest.mark.parametrize(
    "plate",
    [
        "藏D123456",  # 6 characters but not a new-energy pattern
        "藏DD1234挂",  # trailer with 5 characters
        "藏1D2345",  # authority must be a letter
        "藏d12345",  # lower case
        "藏D1234D5",  # D/F in the middle
    ],
)
def test_malformed_plates_of_the_right_length_are_format_errors(plate: str) -> None:
    assert check_vehicle_plate(plate, PLATE_PREFIXES).reason == PLATE_FORMAT


def test_letter_o_on_a_plate_is_reported_like_letter_i() -> None:
    assert check_vehicle_plate("浙BO1234", PLATE_PREFIXES).reason == PLATE_LETTER_I_O


def test_plate_province_characters_come_from_the_catalogue_passed_in() -> None:
    assert check_vehicle_plate("藏D12345", {"藏": "xizang"}).value == "xizang"
    assert check_vehicle_plate("浙B12345", {"藏": "xizang"}).reason == PLATE_PROVINCE


def test_empty_plate_is_a_province_error() -> None:
    assert check_vehicle_plate("", PLATE_PREFIXES).reason == PLATE_PROVINCE


@pytest.mark.parametrize("code", VALID_HS_CODES)
def test_ten_digit_hs_codes_are_accepted(code: str) -> None:
    assert check_hs_code(code).ok


@pytest.mark.parametrize(("code", "reason"), INVALID_HS_CODES)
def test_invalid_hs_codes_are_rejected_with_their_reason(code: str, reason: str) -> None:
    assert check_hs_code(code).reason == reason


def test_hs_code_length_error_names_the_expected_length() -> None:
    assert check_hs_code("870380").expected == "10"


def test_empty_hs_code_is_not_digits() -> None:
    assert check_hs_code("").reason == HS_CODE_NOT_DIGITS


# --- properties ----------------------------------------------------------------------------

UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
owner_codes = st.text(alphabet=UPPER, min_size=3, max_size=3)
categories = st.sampled_from("UJZ")
serials = st.text(alphabet="0123456789", min_size=6, max_size=6)


def _iso6346_residue(first_ten: str) -> int:
    """Independent reference: the sum mod 11 before the final mod 10."""
    values = {}
    n = 10
    for letter in UPPER:
        n += n % 11 == 0
        values[letter] = n
        n += 1
    return sum((values[c] if c.isalpha() else int(c)) << i for i, c in enumerate(first_ten)) % 11


@given(owner_codes, categories, serials)
def test_computed_container_check_digits_always_validate(owner: str, cat: str, serial: str) -> None:
    prefix = owner + cat + serial
    assert check_container_number(prefix + str(iso6346_check_digit(prefix))).ok


@given(owner_codes, categories, serials, st.integers(4, 10), st.integers(1, 9))
def test_a_single_digit_change_to_a_container_number_is_detected(
    owner: str, cat: str, serial: str, position: int, shift: int
) -> None:
    # Residue 10 maps to check digit 0 like residue 0; ISO 6346 advises not issuing such serials.
    prefix = owner + cat + serial
    number = prefix + str(iso6346_check_digit(prefix))
    changed = number[:position] + str((int(number[position]) + shift) % 10) + number[position + 1 :]
    assume(_iso6346_residue(prefix) != 10 and _iso6346_residue(changed[:10]) != 10)
    assert check_container_number(changed).reason == CONTAINER_CHECK_DIGIT


@given(owner_codes, categories, serials)
def test_lower_case_container_numbers_are_always_format_errors(
    owner: str, cat: str, serial: str
) -> None:
    prefix = owner + cat + serial
    number = prefix + str(iso6346_check_digit(prefix))
    assert check_container_number(number.lower()).reason == CONTAINER_NUMBER_FORMAT


uscc_bodies = st.text(alphabet=USCC_SYMBOLS, min_size=17, max_size=17)


@given(uscc_bodies)
def test_computed_uscc_check_characters_always_validate(body: str) -> None:
    assert check_uscc(body + uscc_check_char(body)).ok


@given(uscc_bodies, st.integers(0, 17), st.integers(1, 30))
def test_any_single_character_change_to_a_uscc_is_detected(
    body: str, position: int, shift: int
) -> None:
    code = body + uscc_check_char(body)
    new = USCC_SYMBOLS[(USCC_SYMBOLS.index(code[position]) + shift) % 31]
    changed = code[:position] + new + code[position + 1 :]
    assert check_uscc(changed).reason == USCC_CHECK_CHAR


plate_chars = st.sampled_from("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789")


@given(
    st.sampled_from(sorted(PLATE_PREFIXES)),
    st.sampled_from("ABCDEFGHJKLMNPQRSTUVWXYZ"),
    st.lists(plate_chars, min_size=5, max_size=5),
)
def test_every_catalogue_province_character_makes_ordinary_plates_valid(
    province: str, authority: str, body: list[str]
) -> None:
    result = check_vehicle_plate(province + authority + "".join(body), PLATE_PREFIXES)
    assert result.value == PLATE_PREFIXES[province]


@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_any_ten_digits_form_a_declarable_hs_code(code: str) -> None:
    assert check_hs_code(code).ok


@given(st.text(min_size=1, max_size=12).filter(lambda s: not s.isascii() or not s.isdigit()))
def test_hs_codes_with_any_non_digit_are_rejected_as_not_digits(code: str) -> None:
    assert check_hs_code(code).reason == HS_CODE_NOT_DIGITS
