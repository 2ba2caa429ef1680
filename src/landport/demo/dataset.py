"""A seeded demo data set: exporters from Zhejiang, Shandong, Guangdong, Henan and Tibet,
users for every role, and declarations of old-three and new-three goods across all lanes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from landport.adapters.security import hash_password
from landport.bootstrap import Services
from landport.declarations.commands import DecideDeclaration, DeclareExport, RecordInspection
from landport.enterprises.handlers import CreateUser, RegisterEnterprise
from landport.enterprises.model import SYSTEM_ACTOR, Actor, Role
from landport.reference.catalog import ReferenceCatalog
from landport.shared.errors import DomainError
from landport.shared.identifiers import iso6346_check_digit, uscc_check_char
from landport.simulation.cargo import container_line

DEMO_PASSWORD = "landport-demo"


def uscc(first17: str) -> str:
    return first17 + uscc_check_char(first17)


def container(owner: str, serial: int) -> str:
    prefix = f"{owner}{serial:06d}"
    return prefix + str(iso6346_check_digit(prefix))


@dataclass(frozen=True)
class DemoEnterprise:
    uscc: str
    name_zh: str
    name_en: str
    province: str
    rating: str
    declarant: str
    plate_prefix: str
    goods: tuple[dict[str, Any], ...]


def _goods(hs: str, name: str, unit: str, qty: int, value_cny: int, net_kg: int) -> dict[str, Any]:
    return {
        "hs_code": hs,
        "name": name,
        "unit": unit,
        "quantity": qty,
        "value": value_cny,
        "net_kg": net_kg,
    }


LI_ION = _goods(
    "8507600020", "锂离子蓄电池储能系统 lithium-ion energy storage", "set", 20, 1_190_000, 14_000
)
LI_PRIMARY = _goods(
    "8506500000", "锂原电池 primary lithium cells CR2032", "piece", 200_000, 300_000, 1_000
)
PV = _goods("8541430000", "光伏组件 photovoltaic modules", "piece", 600, 420_000, 13_200)
NEV = _goods(
    "8703800000", "纯电动乘用车 battery electric passenger car", "vehicle", 2, 256_000, 3_600
)
SOFA = _goods("9401610000", "布艺沙发 upholstered sofas", "set", 120, 180_000, 6_000)
GARMENT = _goods(
    "6110200000", "棉制针织套衫 cotton knitted pullovers", "piece", 8_000, 320_000, 2_400
)
FRIDGE = _goods("8418102000", "家用冰箱 household refrigerators", "unit", 150, 240_000, 9_000)
CARPET = _goods(
    "5701100000", "藏毯 Tibetan wool carpets, hand-knotted", "piece", 60, 360_000, 1_500
)

ENTERPRISES = (
    DemoEnterprise(
        uscc("91330100MA2H00001"),
        "浙江高原锂能科技有限公司",
        "Zhejiang Plateau Lithium Tech",
        "zhejiang",
        "general",
        "zj.lithium",
        "浙",
        (LI_ION, PV, LI_PRIMARY),
    ),
    DemoEnterprise(
        uscc("91330200MA2H00002"),
        "宁波雪域家居出口有限公司",
        "Ningbo Snowland Furniture Export",
        "zhejiang",
        "advanced",
        "nb.furniture",
        "浙",
        (SOFA, FRIDGE),
    ),
    DemoEnterprise(
        uscc("91370100MA3C00003"),
        "山东日光能源有限公司",
        "Shandong Sunlight Energy",
        "shandong",
        "general",
        "sd.solar",
        "鲁",
        (PV, LI_ION),
    ),
    DemoEnterprise(
        uscc("91440300MA5F00004"),
        "深圳南亚家电贸易有限公司",
        "Shenzhen South Asia Appliances",
        "guangdong",
        "advanced",
        "gd.appliances",
        "粤",
        (FRIDGE, GARMENT),
    ),
    DemoEnterprise(
        uscc("91410100MA4K00005"),
        "郑州丝路新能源汽车出口有限公司",
        "Zhengzhou Silk Road NEV Export",
        "henan",
        "general",
        "zz.nev",
        "豫",
        (NEV,),
    ),
    DemoEnterprise(
        uscc("91540200MA6T00006"),
        "日喀则雪域藏毯工坊",
        "Shigatse Snowland Carpet Workshop",
        "tibet",
        "general",
        "xz.carpets",
        "藏",
        (CARPET,),
    ),
    DemoEnterprise(
        uscc("91540100MA6T00007"),
        "拉萨边贸速运有限公司",
        "Lhasa Border Trade Express",
        "tibet",
        "untrusted",
        "xz.bordertrade",
        "藏",
        (GARMENT, SOFA),
    ),
)

STAFF = (
    ("admin", Role.PORT_ADMIN, None),
    ("officer", Role.CUSTOMS_OFFICER, None),
    ("officer2", Role.CUSTOMS_OFFICER, None),
    ("yard", Role.YARD_OPERATOR, None),
    ("border.gyirong", Role.BORDER_OFFICER, "gyirong-port"),
    ("border.zhangmu", Role.BORDER_OFFICER, "zhangmu-port"),
    ("border.lizi", Role.BORDER_OFFICER, "lizi-port"),
    ("auditor", Role.AUDITOR, None),
)
PORTS = ("gyirong-port", "zhangmu-port", "gyirong-port", "lizi-port")


def demo_logins() -> list[tuple[str, str, str]]:
    logins = [(name, role.value, port or "") for name, role, port in STAFF]
    logins += [(e.declarant, "declarant", e.name_en) for e in ENTERPRISES]
    return logins


def _payload(
    e: DemoEnterprise, goods: dict[str, Any], n: int, catalog: ReferenceCatalog
) -> dict[str, Any]:
    vehicles = goods["unit"] == "vehicle"
    net = Decimal(goods["net_kg"])
    gross = net + Decimal(400)
    item = {**goods, "currency": "CNY", "origin_province": e.province}
    number = container("TGHU", 100000 + n * 7)
    containers = (
        [] if vehicles else [container_line(number, net_kg=net, gross_kg=gross, catalog=catalog)]
    )
    return {
        "trade_mode": "0110",
        "consignor_uscc": e.uscc,
        "exit_port": PORTS[n % len(PORTS)],
        "destination_country": "NP",
        "transport_mode": "4",
        "trade_terms": "3",
        "vehicle_plate": f"{e.plate_prefix}{'DF'[n % 2]}{10000 + n * 37:05d}",
        "containers": containers,
        "gross_kg": str(gross),
        "net_kg": str(net),
        "packages": 1 if vehicles else 40 + n,
        "items": [item],
    }


def seed(services: Services, *, declarations_per_goods: int = 3) -> dict[str, int]:
    """Idempotent: a database that already has the demo enterprises is left as it is."""
    bus = services.bus
    with services.uow_factory() as uow:
        if uow.enterprises.get(ENTERPRISES[0].uscc) is not None:
            return {"seeded": 0}
    password = hash_password(DEMO_PASSWORD)
    for e in ENTERPRISES:
        bus.handle(
            RegisterEnterprise(SYSTEM_ACTOR, e.uscc, e.name_zh, e.name_en, e.province, e.rating)
        )
        bus.handle(CreateUser(SYSTEM_ACTOR, e.declarant, password, "declarant", e.uscc))
    for name, role, port in STAFF:
        bus.handle(CreateUser(SYSTEM_ACTOR, name, password, role.value, None, port))
    catalog = bus.context.catalog
    lanes: dict[str, int] = {}
    n = 0
    for round_ in range(declarations_per_goods):
        for e in ENTERPRISES:
            actor = Actor(e.declarant, Role.DECLARANT, e.uscc)
            for goods in e.goods:
                n += 1
                payload = _payload(e, goods, n, catalog)
                d = bus.handle(DeclareExport(actor, payload, submit=True)).result
                lanes[d.lane] = lanes.get(d.lane, 0) + 1
                if round_ == 0:
                    _work(services, d.id, d.status.value, n)
    return {"seeded": n, **lanes}


def _work(services: Services, declaration_id: str, status: str, n: int) -> None:
    """The officer works part of the queue so the demo shows every stage."""
    officer = Actor("officer", Role.CUSTOMS_OFFICER)
    now = services.clock.now()
    try:
        if status == "document_check":
            services.bus.handle(
                RecordInspection(
                    officer,
                    declaration_id,
                    "document_check",
                    "conform",
                    now - timedelta(minutes=3),
                    now,
                    "invoice, packing list and contract match",
                )
            )
            services.bus.handle(
                DecideDeclaration(officer, declaration_id, "release", "documents conform")
            )
        elif status == "examination" and n % 3 != 0:
            digest = f"{n:064x}"
            result = "suspicious" if n % 4 == 0 else "clear"
            services.bus.handle(
                RecordInspection(
                    officer,
                    declaration_id,
                    "scan",
                    result,
                    now - timedelta(minutes=3),
                    now,
                    image_sha256=digest,
                    equipment_id="NII-1",
                )
            )
            if result == "clear":
                services.bus.handle(
                    DecideDeclaration(officer, declaration_id, "release", "scan clear")
                )
            else:
                services.bus.handle(
                    DecideDeclaration(
                        officer, declaration_id, "hold", "scan image shows undeclared density"
                    )
                )
    except DomainError:
        pass  # a demo step that the rules refuse is simply skipped
