"""What the simulated trucks carry and who declares it: one exporter per province and goods
kind, and declaration payloads the real validation accepts (check digits included)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from landport.reference.catalog import CodeEntry, ReferenceCatalog
from landport.shared.identifiers import USCC_SYMBOLS, iso6346_check_digit, uscc_check_char

#: HS code, name, unit, quantity, value (CNY), net kg per truck.
GOODS: dict[str, tuple[str, str, str, int, int, int]] = {
    "furniture": ("9401610000", "布艺沙发 upholstered sofas", "set", 120, 180_000, 6_000),
    "garments": (
        "6110200000",
        "棉制针织套衫 cotton knitted pullovers",
        "piece",
        8_000,
        320_000,
        2_400,
    ),
    "appliances": ("8418102000", "家用冰箱 household refrigerators", "unit", 150, 240_000, 9_000),
    "carpets": (
        "5701100000",
        "藏毯 Tibetan wool carpets, hand-knotted",
        "piece",
        60,
        360_000,
        1_500,
    ),
    "nev": (
        "8703800000",
        "纯电动乘用车 battery electric passenger car",
        "vehicle",
        2,
        256_000,
        3_600,
    ),
    "lithium_ion": (
        "8507600020",
        "锂离子蓄电池储能系统 lithium-ion energy storage",
        "set",
        20,
        1_190_000,
        14_000,
    ),
    "pv": ("8541430000", "光伏组件 photovoltaic modules", "piece", 600, 420_000, 13_200),
    "primary_lithium": (
        "8506500000",
        "锂原电池 primary lithium cells CR2032",
        "piece",
        200_000,
        300_000,
        1_000,
    ),
}

#: Goods heavier than this (net kg) travel in a 40 ft box (42G1), lighter ones in a 20 ft (22G1).
FORTY_FOOT_ABOVE_NET_KG = 12_000

#: Province: (USCC region code, plate character).
PROVINCE_CODES = {
    "zhejiang": ("330100", "浙"),
    "shandong": ("370100", "鲁"),
    "guangdong": ("440300", "粤"),
    "henan": ("410100", "豫"),
    "tibet": ("540200", "藏"),
}
_PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
#: How an enterprise's name says its goods, as the register shows them.
GOODS_NAMES = {
    "furniture": ("furniture", "家具"),
    "garments": ("garments", "服装"),
    "appliances": ("appliances", "家电"),
    "carpets": ("carpets", "藏毯"),
    "nev": ("NEV", "新能源汽车"),
    "lithium_ion": ("lithium-ion battery", "锂电池储能"),
    "pv": ("PV module", "光伏组件"),
    "primary_lithium": ("lithium cell", "锂原电池"),
}


@dataclass(frozen=True)
class Exporter:
    uscc: str
    province: str
    goods: str
    username: str
    rating: str
    newcomer: int = 0  # the truck serial of an exporter's first shipment here; 0: a regular

    @property
    def name_en(self) -> str:
        goods = GOODS_NAMES[self.goods][0]
        name = f"Twin {self.province.title()} {goods} exporter"
        return f"{name} (new, truck {self.newcomer})" if self.newcomer else name

    def name_zh(self, provinces: Mapping[str, CodeEntry]) -> str:
        """The Chinese name, the province as the catalogue's code list writes it."""
        name = f"孪生{provinces[self.province].name_zh}{GOODS_NAMES[self.goods][1]}出口企业"
        return f"{name}（首次出口，第{self.newcomer}车）" if self.newcomer else name


def exporter(province: str, goods: str) -> Exporter:
    """The simulated enterprise of a province exporting one kind of goods (stable ids)."""
    region, _ = PROVINCE_CODES[province]
    n = sorted(GOODS).index(goods) + 1
    first17 = f"91{region}MA7T{n:05d}"[:17]
    rating = "advanced" if goods in ("furniture", "garments", "carpets") else "general"
    return Exporter(
        first17 + uscc_check_char(first17), province, goods, f"twin.{province}.{goods}", rating
    )


def newcomer(province: str, goods: str, serial: int) -> Exporter:
    """An enterprise shipping through the port for the first time, with truck `serial`: the
    rules treat a first-time exporter with more care (unique ids up to 31**5 trucks)."""
    region, _ = PROVINCE_CODES[province]
    digits, rest = "", serial
    for _ in range(5):
        rest, d = divmod(rest, len(USCC_SYMBOLS))
        digits = USCC_SYMBOLS[d] + digits
    first17 = f"91{region}MA8N{digits}"
    uscc = first17 + uscc_check_char(first17)
    return Exporter(uscc, province, goods, f"twin.new.{digits}", "general", newcomer=serial)


def plate(province: str, serial: int) -> str:
    """Ordinary plates of the province, 24 x 100,000 before one repeats."""
    _, char = PROVINCE_CODES[province]
    letter = _PLATE_LETTERS[(serial // 100_000) % len(_PLATE_LETTERS)]
    return f"{char}{letter}{serial % 100_000:05d}"


def container_number(serial: int) -> str:
    prefix = f"TWNU{serial % 1_000_000:06d}"
    return prefix + str(iso6346_check_digit(prefix))


def container_line(
    number: str, *, net_kg: Decimal | int, gross_kg: Decimal | int, catalog: ReferenceCatalog
) -> dict[str, str]:
    """The one box that carries goods of this net and gross mass: a 20 ft general-purpose box
    (22G1), or a 40 ft one (42G1) for heavy goods. Its declared gross mass is the goods' plus
    the typical tare (empty mass) of its size type in the catalogue."""
    size_type = "42G1" if net_kg > FORTY_FOOT_ABOVE_NET_KG else "22G1"
    known = catalog.container_tares.get(size_type)  # a catalogue may leave a tare unjudged
    tare = known.typical_kg if known is not None else 0
    return {"number": number, "size_type": size_type, "gross_kg": str(gross_kg + tare)}


def declaration_payload(
    e: Exporter,
    *,
    serial: int,
    truck_plate: str,
    exit_port: str,
    catalog: ReferenceCatalog,
) -> dict[str, Any]:
    """The exporter's declaration of one truck's goods; the box tares come from `catalog`."""
    hs, name, unit, qty, value, net = GOODS[e.goods]
    vehicles = unit == "vehicle"
    gross = net + 400
    containers = (
        []
        if vehicles
        else [container_line(container_number(serial), net_kg=net, gross_kg=gross, catalog=catalog)]
    )
    item = {
        "hs_code": hs,
        "name": name,
        "unit": unit,
        "quantity": qty,
        "value": value,
        "net_kg": net,
        "currency": "CNY",
        "origin_province": e.province,
    }
    return {
        "trade_mode": "0110",
        "consignor_uscc": e.uscc,
        "exit_port": exit_port,
        "destination_country": "NP",
        "transport_mode": "4",
        "trade_terms": "3",
        "vehicle_plate": truck_plate,
        "containers": containers,
        "gross_kg": str(gross),
        "net_kg": str(net),
        "packages": 1 if vehicles else 40,
        "items": [item],
    }
