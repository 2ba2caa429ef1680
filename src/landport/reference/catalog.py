"""The reference catalogue: code lists and places as plain data the pure core can consult."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from functools import cached_property
from typing import Any

from landport.seals.calendar import PortCalendar, parse_calendars


@dataclass(frozen=True, slots=True)
class CodeEntry:
    """One entry of a code list, with how sure we are of it."""

    code: str
    name_en: str
    name_zh: str = ""
    confidence: str = "sourced"


@dataclass(frozen=True, slots=True)
class ValueBand:
    """Plausible CNY per kg for goods under an HS prefix."""

    hs_prefix: str
    min_cny_per_kg: Decimal
    max_cny_per_kg: Decimal


@dataclass(frozen=True, slots=True)
class ContainerTare:
    """The empty mass of a container size type: typical, and the least a real box weighs.

    Tares vary by maker, material and age, so a box may be lighter than the typical figure,
    but never by more than the data file's tolerance.
    """

    typical_kg: Decimal
    min_kg: Decimal


#: Used when a reference file lists tares without saying how far below them a box may be.
DEFAULT_TARE_TOLERANCE_BELOW = Decimal("0.25")


@dataclass(frozen=True, slots=True)
class Place:
    """A named place of the port network (WGS84)."""

    id: str
    name_en: str
    name_zh: str
    kind: str
    lat: float
    lon: float
    elevation_m: float | None
    confidence: str

    @property
    def short_name_en(self) -> str:
        """The name as drivers and officers say it: 'Gyirong port', without the far side
        ('Gyirong port (to Rasuwagadhi)')."""
        return self.name_en.split(" (")[0]

    @property
    def short_name_zh(self) -> str:
        return self.name_zh or self.short_name_en


@dataclass(frozen=True)
class ReferenceCatalog:
    """Everything the declaration and risk rules need to know about the outside world."""

    trade_modes: Mapping[str, CodeEntry]
    transport_modes: Mapping[str, CodeEntry]
    trade_terms: Mapping[str, CodeEntry]
    countries: frozenset[str]
    provinces: Mapping[str, CodeEntry]  # id -> entry, e.g. "zhejiang"
    plate_prefixes: Mapping[str, str]  # "浙" -> "zhejiang"
    container_max_gross_kg: Mapping[str, Decimal]
    cny_per_unit: Mapping[str, Decimal]
    units: frozenset[str]
    value_bands: tuple[ValueBand, ...]
    exit_ports: frozenset[str]
    required_by_trade_mode: Mapping[str, str]  # trade mode -> required field
    lithium_naming: Mapping[str, Any]
    places: Mapping[str, Place] = field(default_factory=dict)
    hs_categories: tuple[Mapping[str, Any], ...] = ()
    calendars: Mapping[str, PortCalendar] = field(default_factory=dict)
    #: Size types without a tare in the reference file are absent: their tare is not judged.
    container_tares: Mapping[str, ContainerTare] = field(default_factory=dict)

    @cached_property
    def border_port_names(self) -> Mapping[str, tuple[str, str]]:
        """(English, Chinese) of each border port as officers say them ("Gyirong port",
        "吉隆口岸"), by id: read once per catalogue, on every border check."""
        return {
            pid: (p.short_name_en, p.name_zh)
            for pid, p in self.places.items()
            if p.kind == "border_port"
        }

    def value_band_for(self, hs_code: str) -> ValueBand | None:
        """The most specific band whose prefix the HS code starts with."""
        best: ValueBand | None = None
        for band in self.value_bands:
            if hs_code.startswith(band.hs_prefix) and (
                best is None or len(band.hs_prefix) > len(best.hs_prefix)
            ):
                best = band
        return best

    def to_cny(self, amount: Decimal, currency: str) -> Decimal | None:
        rate = self.cny_per_unit.get(currency)
        return None if rate is None else amount * rate

    def cargo_category(self, hs_code: str) -> str:
        """'new_three', 'old_three', 'local' or 'other' as the port reports its export mix."""
        for cat in self.hs_categories:
            prefix = cat.get("hs6") or cat.get("hs_chapter")
            prefixes = [prefix] if prefix else list(cat.get("hs4_examples", []))
            if cat.get("category") != "trap" and any(hs_code.startswith(p) for p in prefixes):
                return str(cat["category"])
        return "other"


def build_catalog(docs: Mapping[str, Any]) -> ReferenceCatalog:
    """Build the catalogue from the parsed data files (keys: file stems)."""
    codes = docs["customs_codes"]
    rules = docs["declaration_rules"]

    def entries(items: list[dict[str, Any]], name_key: str = "name_en") -> dict[str, CodeEntry]:
        return {
            str(e["code"]): CodeEntry(
                code=str(e["code"]),
                name_en=str(e.get(name_key, e.get("name", ""))),
                name_zh=str(e.get("name_zh", "")),
                confidence=str(e.get("confidence", "sourced")),
            )
            for e in items
            if e.get("code") is not None
        }

    provinces = {
        p["id"]: CodeEntry(p["id"], p["name_en"], p["name_zh"], rules["provinces"]["confidence"])
        for p in rules["provinces"]["entries"]
    }
    places = {
        p["id"]: Place(
            id=p["id"],
            name_en=p["name_en"],
            name_zh=p.get("name_zh", ""),
            kind=p["kind"],
            lat=float(p["lat"]),
            lon=float(p["lon"]),
            elevation_m=p.get("elevation_m"),
            confidence=p.get("confidence", "estimate"),
        )
        for p in docs.get("places", {}).get("places", [])
    }
    return ReferenceCatalog(
        trade_modes=entries(codes["trade_modes"]),
        transport_modes=entries(codes["transport_modes"]),
        trade_terms=entries(codes["trade_terms"], name_key="name"),
        countries=frozenset(c["code"] for c in docs["countries"]["countries"]),
        provinces=provinces,
        plate_prefixes={p["plate_prefix"]: p["id"] for p in rules["provinces"]["entries"]},
        container_max_gross_kg={
            e["code"]: Decimal(str(e["max_gross_kg"]))
            for e in rules["container_size_types"]["entries"]
        },
        cny_per_unit={k: Decimal(str(v)) for k, v in rules["currencies"]["cny_per_unit"].items()},
        units=frozenset(rules["units"]["entries"]),
        value_bands=tuple(
            ValueBand(e["hs_prefix"], Decimal(str(e["min"])), Decimal(str(e["max"])))
            for e in rules["value_bands_cny_per_kg"]["entries"]
        ),
        exit_ports=frozenset(rules["exit_ports"]["entries"]),
        required_by_trade_mode={
            mode: spec["required_field"] for mode, spec in rules["cbec_trade_modes"].items()
        },
        lithium_naming=rules["lithium_battery_naming"],
        places=places,
        hs_categories=tuple(codes["hs_codes"]["categories"]),
        calendars=parse_calendars(docs["port_calendars"]) if "port_calendars" in docs else {},
        container_tares=container_tares(rules["container_size_types"]),
    )


def container_tares(size_types: Mapping[str, Any]) -> dict[str, ContainerTare]:
    """Tares of the size types that list one; the lower bound is rounded down to the kg."""
    below = Decimal(str(size_types.get("tare_tolerance_below", DEFAULT_TARE_TOLERANCE_BELOW)))
    tares: dict[str, ContainerTare] = {}
    for e in size_types["entries"]:
        if e.get("tare_kg") is None:
            continue
        typical = Decimal(str(e["tare_kg"]))
        least = (typical * (1 - below)).quantize(Decimal(1), rounding=ROUND_FLOOR)
        tares[str(e["code"])] = ContainerTare(typical_kg=typical, min_kg=least)
    return tares
