"""Declaration content to and from plain JSON-able dicts (decimals travel as strings)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from landport.declarations.model import ContainerLine, DeclarationContent, GoodsItem


def _dec(value: Any) -> Decimal:
    return Decimal(str(value))


def _opt_dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def content_to_dict(content: DeclarationContent) -> dict[str, Any]:
    return {
        "trade_mode": content.trade_mode,
        "consignor_uscc": content.consignor_uscc,
        "exit_port": content.exit_port,
        "destination_country": content.destination_country,
        "transport_mode": content.transport_mode,
        "trade_terms": content.trade_terms,
        "vehicle_plate": content.vehicle_plate,
        "containers": [
            {"number": c.number, "size_type": c.size_type, "gross_kg": str(c.gross_kg)}
            for c in content.containers
        ],
        "gross_kg": str(content.gross_kg),
        "net_kg": str(content.net_kg),
        "packages": content.packages,
        "items": [
            {
                "hs_code": i.hs_code,
                "name": i.name,
                "quantity": str(i.quantity),
                "unit": i.unit,
                "value": str(i.value),
                "currency": i.currency,
                "origin_province": i.origin_province,
                "net_kg": None if i.net_kg is None else str(i.net_kg),
            }
            for i in content.items
        ],
        "cbec_order_ref": content.cbec_order_ref,
        "warehouse_booking_ref": content.warehouse_booking_ref,
        "total_value": None if content.total_value is None else str(content.total_value),
        "currency": content.currency,
    }


def content_from_dict(data: dict[str, Any]) -> DeclarationContent:
    return DeclarationContent(
        trade_mode=data["trade_mode"],
        consignor_uscc=data["consignor_uscc"],
        exit_port=data["exit_port"],
        destination_country=data["destination_country"],
        transport_mode=data["transport_mode"],
        trade_terms=data["trade_terms"],
        vehicle_plate=data["vehicle_plate"],
        containers=[
            ContainerLine(c["number"], c["size_type"], _dec(c["gross_kg"]))
            for c in data["containers"]
        ],
        gross_kg=_dec(data["gross_kg"]),
        net_kg=_dec(data["net_kg"]),
        packages=int(data["packages"]),
        items=[
            GoodsItem(
                hs_code=i["hs_code"],
                name=i["name"],
                quantity=_dec(i["quantity"]),
                unit=i["unit"],
                value=_dec(i["value"]),
                currency=i["currency"],
                origin_province=i["origin_province"],
                net_kg=_opt_dec(i.get("net_kg")),
            )
            for i in data["items"]
        ],
        cbec_order_ref=data.get("cbec_order_ref"),
        warehouse_booking_ref=data.get("warehouse_booking_ref"),
        total_value=_opt_dec(data.get("total_value")),
        currency=data.get("currency"),
    )
