"""Pure validators for the identifiers a declaration carries.

Each returns a small :class:`IdentifierCheck` (normalised value or a reason code, plus the
expected check character where one is computable) so that callers can build their own
bilingual messages. Reason codes double as violation codes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class IdentifierCheck:
    """Outcome of one identifier check: ``reason`` is None when the identifier is valid."""

    value: str | None = None  # normalised value (a province id for plates) when valid
    reason: str | None = None
    expected: str | None = None  # what would be right: the check character, or the length

    @property
    def ok(self) -> bool:
        return self.reason is None


def _valid(value: str) -> IdentifierCheck:
    return IdentifierCheck(value=value)


def _invalid(reason: str, expected: str | None = None) -> IdentifierCheck:
    return IdentifierCheck(reason=reason, expected=expected)


# --- ISO 6346 container numbers -------------------------------------------------------------

CONTAINER_NUMBER_FORMAT = "container_number_format"
CONTAINER_CATEGORY = "container_category"
CONTAINER_CHECK_DIGIT = "container_check_digit"

#: Equipment category identifiers: U freight container, J detachable equipment, Z trailer/chassis.
CONTAINER_CATEGORIES = frozenset("UJZ")


def _iso6346_letter_values() -> dict[str, int]:
    """A=10 upward, skipping 11, 22 and 33 (multiples of 11), so Z=38."""
    values: dict[str, int] = {}
    n = 10
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        if n % 11 == 0:
            n += 1
        values[letter] = n
        n += 1
    return values


_ISO6346_VALUES = _iso6346_letter_values()
_CONTAINER_SHAPE = re.compile(r"[A-Z]{4}[0-9]{7}")


def iso6346_check_digit(first_ten: str) -> int:
    """Check digit of owner code + category + serial (10 characters, upper case)."""
    if len(first_ten) != 10 or not re.fullmatch(r"[A-Z]{4}[0-9]{6}", first_ten):
        raise ValueError(f"expected 4 capital letters and 6 digits, got {first_ten!r}")
    total = sum(
        (_ISO6346_VALUES[ch] if ch.isalpha() else int(ch)) << i for i, ch in enumerate(first_ten)
    )
    return total % 11 % 10


def check_container_number(number: str) -> IdentifierCheck:
    """ISO 6346: format, then category letter, then check digit. Lower case is a format error."""
    if not _CONTAINER_SHAPE.fullmatch(number):
        return _invalid(CONTAINER_NUMBER_FORMAT)
    if number[3] not in CONTAINER_CATEGORIES:
        return _invalid(CONTAINER_CATEGORY)
    expected = iso6346_check_digit(number[:10])
    if int(number[10]) != expected:
        return _invalid(CONTAINER_CHECK_DIGIT, str(expected))
    return _valid(number)


# --- USCC (GB 32100-2015) ------------------------------------------------------------------

USCC_LENGTH = "uscc_length"
USCC_CHARSET = "uscc_charset"
USCC_CHECK_CHAR = "uscc_check_char"

#: The 31 symbols of the unified social credit code (no I, O, S, V, Z).
USCC_SYMBOLS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {ch: i for i, ch in enumerate(USCC_SYMBOLS)}
_USCC_WEIGHTS = tuple(3**i % 31 for i in range(17))


def uscc_check_char(first_seventeen: str) -> str:
    """The 18th character for 17 characters from the USCC symbol set."""
    if len(first_seventeen) != 17 or any(ch not in _USCC_VALUE for ch in first_seventeen):
        raise ValueError(f"expected 17 USCC symbols, got {first_seventeen!r}")
    total = sum(_USCC_VALUE[ch] * w for ch, w in zip(first_seventeen, _USCC_WEIGHTS, strict=True))
    return USCC_SYMBOLS[(31 - total % 31) % 31]


def check_uscc(code: str) -> IdentifierCheck:
    """Length, then symbol set, then check character (GB 32100-2015)."""
    if len(code) != 18:
        return _invalid(USCC_LENGTH)
    if any(ch not in _USCC_VALUE for ch in code):
        return _invalid(USCC_CHARSET)
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        return _invalid(USCC_CHECK_CHAR, expected)
    return _valid(code)


# --- Chinese vehicle plates (GA 36) --------------------------------------------------------

_PLATE_NOISE = re.compile(r"[\s·•．.\-]")


def normalise_identifier(text: str) -> str:
    """Identifiers as read at a gate compare without spaces, dots or dashes, in upper case
    (藏B·12345 = 藏B12345, csqu-305438-3 = CSQU3054383): what a camera, a clerk and a
    declaration write for one truck, container or seal."""
    return _PLATE_NOISE.sub("", text).upper()


normalise_plate = normalise_identifier


PLATE_PROVINCE = "plate_province"
PLATE_LETTER_I_O = "plate_letter_i_o"
PLATE_LENGTH = "plate_length"
PLATE_FORMAT = "plate_format"

_PLATE_ALNUM = "[A-HJ-NP-Z0-9]"  # letters I and O are never issued
_PLATE_BODIES = (
    re.compile(rf"{_PLATE_ALNUM}{{5}}"),  # ordinary: 5 characters
    re.compile(rf"[DF]{_PLATE_ALNUM}[0-9]{{4}}"),  # new energy, small vehicle: D/F first
    re.compile(r"[0-9]{5}[DF]"),  # new energy, large vehicle: D/F last
    re.compile(rf"{_PLATE_ALNUM}{{4}}挂"),  # trailer
)


def check_vehicle_plate(plate: str, plate_prefixes: Mapping[str, str]) -> IdentifierCheck:
    """Province character + authority letter + 5 (ordinary), 6 (new energy) or 4+挂 (trailer).

    ``plate_prefixes`` maps province characters to province ids (the catalogue's list);
    on success the result's value is the province id.
    """
    if not plate or plate[0] not in plate_prefixes:
        return _invalid(PLATE_PROVINCE)
    if "I" in plate[1:] or "O" in plate[1:]:
        return _invalid(PLATE_LETTER_I_O)
    if len(plate) not in (7, 8):
        return _invalid(PLATE_LENGTH)
    authority, body = plate[1], plate[2:]
    if not re.fullmatch("[A-HJ-NP-Z]", authority) or not any(
        p.fullmatch(body) for p in _PLATE_BODIES
    ):
        return _invalid(PLATE_FORMAT)
    return _valid(plate_prefixes[plate[0]])


# --- HS codes ------------------------------------------------------------------------------

HS_CODE_NOT_DIGITS = "hs_code_not_digits"
HS_CODE_LENGTH = "hs_code_length"

#: A Chinese export declaration carries the 10-digit national tariff code.
DECLARATION_HS_DIGITS = 10


def check_hs_code(code: str, digits: int = DECLARATION_HS_DIGITS) -> IdentifierCheck:
    """Digits only, then exactly ``digits`` of them (10 on a declaration)."""
    if not code or not all("0" <= ch <= "9" for ch in code):
        return _invalid(HS_CODE_NOT_DIGITS)
    if len(code) != digits:
        return _invalid(HS_CODE_LENGTH, str(digits))
    return _valid(code)
