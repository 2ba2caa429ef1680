"""Builders of realistic, valid test data: change only what a test is about.

The default declaration is a general-trade (0110) export of lithium-ion energy-storage
batteries made in Zhejiang, trucked by a Shigatse-plated lorry in one 20 ft box out through
Gyirong port to Nepal. Every call returns a fresh deep copy.
"""

from __future__ import annotations

import copy
import zlib
from typing import Any

from landport.declarations.model import DeclarationContent
from landport.declarations.parsing import parse_declaration
from landport.enterprises.model import Actor, Role
from landport.shared.identifiers import iso6346_check_digit, uscc_check_char

#: Pass as an override value to drop the key from the payload.
MISSING: Any = object()

#: A valid USCC of a Hangzhou (3301) enterprise: the consignor of the default declaration.
CONSIGNOR_USCC = "91330100716105852F"
CONTAINER_NUMBER = "CSQU3054383"


def make_uscc(first_seventeen: str) -> str:
    """A valid USCC from its first 17 characters (e.g. make_uscc('91540200MA6T00001'))."""
    return first_seventeen + uscc_check_char(first_seventeen)


def make_container_number(owner_and_category: str, serial: str) -> str:
    """A valid ISO 6346 number, e.g. make_container_number('MSKU', '123456')."""
    prefix = owner_and_category + serial
    return prefix + str(iso6346_check_digit(prefix))


def _apply(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    result = copy.deepcopy(base)
    for key, value in overrides.items():
        if value is MISSING:
            result.pop(key, None)
        else:
            result[key] = copy.deepcopy(value)
    return result


_BATTERY_ITEM: dict[str, Any] = {
    "hs_code": "8507600020",
    "name": "锂离子蓄电池储能系统 lithium-ion battery energy storage system",
    "quantity": "20",
    "unit": "set",
    "value": "168000.00",
    "currency": "USD",
    "origin_province": "zhejiang",
    "net_kg": "14000",
}

_NEV_ITEM: dict[str, Any] = {
    "hs_code": "8703800000",
    "name": "纯电动乘用车 battery electric passenger car",
    "quantity": "2",
    "unit": "vehicle",
    "value": "36000.00",
    "currency": "USD",
    "origin_province": "zhejiang",
    "net_kg": "3600",
}

_CONTAINER: dict[str, Any] = {
    "number": CONTAINER_NUMBER,
    "size_type": "22G1",
    "gross_kg": "17600",  # goods 15 200 kg + dunnage + 2 200 kg tare
}

_DECLARATION: dict[str, Any] = {
    "trade_mode": "0110",
    "consignor_uscc": CONSIGNOR_USCC,
    "exit_port": "gyirong-port",
    "destination_country": "NP",
    "transport_mode": "4",
    "trade_terms": "3",
    "vehicle_plate": "藏D12345",
    "containers": [_CONTAINER],
    "gross_kg": "15200",
    "net_kg": "14000",
    "packages": 20,
    "items": [_BATTERY_ITEM],
    "total_value": "168000.00",
    "currency": "USD",
}


def valid_item_payload(**overrides: Any) -> dict[str, Any]:
    """A lithium-ion battery goods item (8507.60), valid on its own."""
    return _apply(_BATTERY_ITEM, overrides)


def nev_item_payload(**overrides: Any) -> dict[str, Any]:
    """A battery-electric car goods item (8703.80)."""
    return _apply(_NEV_ITEM, overrides)


def valid_container_payload(**overrides: Any) -> dict[str, Any]:
    return _apply(_CONTAINER, overrides)


def valid_declaration_payload(**overrides: Any) -> dict[str, Any]:
    """The raw JSON of a valid declaration, as posted to the API, with top-level overrides.

    ``containers`` and ``items`` may be replaced by whole lists (see the item and container
    builders); an override of ``MISSING`` removes the key. Another truck (a plate other than
    the default) carries its own box: the builder's container number is replaced by one of
    that plate (`container_of`), since a box is sealed on one truck at a time.
    """
    payload = _apply(_DECLARATION, overrides)
    plate, boxes = payload.get("vehicle_plate"), payload.get("containers")
    another = isinstance(plate, str) and plate != _DECLARATION["vehicle_plate"]
    if another and isinstance(plate, str) and isinstance(boxes, list):
        payload["containers"] = [
            {**b, "number": container_of(plate)}
            if isinstance(b, dict) and b.get("number") == CONTAINER_NUMBER
            else b
            for b in boxes
        ]
    return payload


def container_of(key: str) -> str:
    """A valid container number of its own for a truck or seal (`key`): CSQU, six digits from
    the key, and the ISO 6346 check digit."""
    prefix = f"CSQU{zlib.crc32(key.encode()) % 1_000_000:06d}"
    return prefix + str(iso6346_check_digit(prefix))


def with_own_container(payload: dict[str, Any], key: str) -> dict[str, Any]:
    """The payload with its one box numbered after `key` (several trucks' goods declared
    alike, each sealed in its own box)."""
    boxes = [{**b, "number": container_of(key)} for b in payload["containers"]]
    return {**payload, "containers": boxes}


def nev_declaration_payload(**overrides: Any) -> dict[str, Any]:
    """Two NEVs on a car carrier: no container, one item, values consistent."""
    base = valid_declaration_payload(
        containers=[],
        items=[nev_item_payload()],
        gross_kg="3700",
        net_kg="3600",
        packages=2,
        total_value="36000.00",
        vehicle_plate="藏D23456",
    )
    return _apply(base, overrides)


def valid_declaration_content(**overrides: Any) -> DeclarationContent:
    """The parsed :func:`valid_declaration_payload`; fails loudly if it does not parse."""
    content, problems = parse_declaration(valid_declaration_payload(**overrides))
    assert content is not None, problems
    return content


def declarant(uscc: str = CONSIGNOR_USCC, username: str = "zhang.wei") -> Actor:
    """A declarant (报关员) bound to the consignor enterprise."""
    return Actor(username=username, role=Role.DECLARANT, enterprise_uscc=uscc)


def customs_officer(username: str = "officer.tsering") -> Actor:
    return Actor(username=username, role=Role.CUSTOMS_OFFICER)
