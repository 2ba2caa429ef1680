"""Bilingual texts of declaration violations, kept apart so the rules stay readable.

Every message names the field (its path, and in Chinese also the field's name on the paper
declaration form) and the rule, with the expected value where one is known.
"""

from __future__ import annotations

from collections.abc import Mapping

from landport.shared.errors import Violation

#: Chinese names of declaration fields, as on the 出口货物报关单.
FIELD_ZH: dict[str, str] = {
    "trade_mode": "监管方式",
    "consignor_uscc": "境内发货人统一社会信用代码",
    "exit_port": "离境口岸",
    "destination_country": "运抵国（地区）",
    "transport_mode": "运输方式",
    "trade_terms": "成交方式",
    "vehicle_plate": "运输工具车牌号",
    "containers": "集装箱",
    "number": "集装箱号",
    "size_type": "集装箱规格",
    "gross_kg": "毛重（千克）",
    "net_kg": "净重（千克）",
    "packages": "件数",
    "items": "商品项",
    "hs_code": "商品编号",
    "name": "商品名称",
    "quantity": "成交数量",
    "unit": "成交计量单位",
    "value": "总价",
    "currency": "币制",
    "origin_province": "境内货源地",
    "cbec_order_ref": "跨境电商订单编号",
    "warehouse_booking_ref": "海外仓预约编号",
    "total_value": "合计总价",
    "": "报关单",
}

#: JSON kinds named in wrong-type messages.
KIND_ZH: dict[str, str] = {
    "text": "文本",
    "number": "数字",
    "integer": "整数",
    "list": "列表",
    "object": "对象",
}

#: code -> (English template, Chinese template). ``{field}`` is the path, ``{label}`` the path
#: with its Chinese name; other placeholders are the keyword arguments of :func:`violation`.
MESSAGES: dict[str, tuple[str, str]] = {
    # --- shape of the input (parsing) ---
    "required": ("{field} is required", "{label}为必填项"),
    "blank": ("{field} must not be blank", "{label}不能为空"),
    "wrong_type": ("{field} must be a {kind}", "{label}应为{kind_zh}"),
    "not_a_number": ("{field} must be a number, got '{value}'", "{label}不是有效数字：「{value}」"),
    "negative": ("{field} must not be negative", "{label}不能为负数"),
    "too_precise": (
        "{field} has more than {max} decimal places",
        "{label}的小数位数不能超过 {max} 位",
    ),
    "not_an_integer": ("{field} must be a whole number", "{label}应为整数"),
    "too_small": ("{field} must be at least {min}", "{label}不能小于 {min}"),
    "too_large": ("{field} must be less than {max}", "{label}超出允许范围，应小于 {max}"),
    "empty_list": ("{field} needs at least one entry", "{label}至少需要一项"),
    "too_many_entries": (
        "{field} has {count} entries; at most {max} are allowed",
        "{label}共 {count} 项，最多允许 {max} 项",
    ),
    "too_long": (
        "{field} is {length} characters long; at most {max} are allowed",
        "{label}长度为 {length} 个字符，最多允许 {max} 个",
    ),
    # --- code lists ---
    "unknown_trade_mode": (
        "{field}: '{value}' is not a known trade mode (e.g. 0110 general trade)",
        "{label}「{value}」不是有效的监管方式代码（如 0110 一般贸易）",
    ),
    "unknown_transport_mode": (
        "{field}: '{value}' is not a known transport mode code",
        "{label}「{value}」不是有效的运输方式代码",
    ),
    "transport_mode_not_road": (
        "{field}: exports via the border port {port} go by road; transport mode should be 4",
        "{label}错误：经边境口岸 {port} 出境应为公路运输，运输方式应为 4",
    ),
    "unknown_trade_terms": (
        "{field}: '{value}' is not a known trade terms code (e.g. 3 for FOB)",
        "{label}「{value}」不是有效的成交方式代码（如 3 表示 FOB）",
    ),
    "unknown_exit_port": (
        "{field}: '{value}' is not an exit port of this land port ({expected})",
        "{label}「{value}」不是本陆港的离境口岸（应为 {expected} 之一）",
    ),
    "unknown_country": (
        "{field}: '{value}' is not an ISO 3166 alpha-2 country code",
        "{label}「{value}」不是有效的 ISO 3166 两字母国家（地区）代码",
    ),
    "currency_code_not_upper_case": (
        "{field}: currency codes are upper case; write '{expected}'",
        "{label}：币制代码应为大写，应为 {expected}",
    ),
    "country_code_not_upper_case": (
        "{field}: country codes are upper case; write '{expected}'",
        "{label}：国家（地区）代码应为大写，应为 {expected}",
    ),
    "destination_is_china": (
        "{field}: an export cannot have China (CN) as its destination",
        "{label}错误：出口货物的运抵国（地区）不能为中国（CN）",
    ),
    "unknown_unit": (
        "{field}: '{value}' is not a known unit of quantity",
        "{label}「{value}」不是有效的计量单位",
    ),
    "unknown_currency": (
        "{field}: '{value}' is not a known currency code",
        "{label}「{value}」不是有效的币制代码",
    ),
    "unknown_province": (
        "{field}: '{value}' is not a province id (e.g. zhejiang)",
        "{label}「{value}」不是有效的省份代码（如 zhejiang）",
    ),
    "unknown_container_size_type": (
        "{field}: '{value}' is not a known ISO 6346 size-type code (e.g. 22G1)",
        "{label}「{value}」不是有效的集装箱尺寸类型代码（如 22G1）",
    ),
    # --- identifiers ---
    "uscc_length": (
        "{field}: a unified social credit code has 18 characters, got {length}",
        "{label}错误：统一社会信用代码应为 18 位，实际为 {length} 位",
    ),
    "uscc_charset": (
        "{field}: only digits and capital letters except I, O, S, V, Z are allowed",
        "{label}错误：只能包含数字和大写字母（不含 I、O、S、V、Z）",
    ),
    "uscc_check_char": (
        "{field}: wrong check character; it should be {expected}",
        "{label}校验码错误，应为 {expected}",
    ),
    "not_own_enterprise": (
        "{field}: a declarant may declare only for its own enterprise ({expected})",
        "{label}错误：报关人员只能为本企业（{expected}）申报",
    ),
    "no_agency_authorisation": (
        "{field}: enterprise {expected} may declare only for itself or for a consignor whose "
        "authorisation of it as customs broker is valid today and not revoked; {value} has "
        "none",
        "{label}错误：本企业（{expected}）只能为本企业申报，或为今日有效且未撤销的代理报关委托书的"
        "委托方申报；{value} 未委托本企业",
    ),
    "plate_province": (
        "{field}: a plate starts with a province character such as 藏 or 浙",
        "{label}错误：车牌号应以省份简称开头（如 藏、浙）",
    ),
    "plate_letter_i_o": (
        "{field}: the letters I and O are never used on plates",
        "{label}错误：车牌号不使用字母 I 和 O",
    ),
    "plate_length": (
        "{field}: a plate has 7 characters (8 for new-energy vehicles)",
        "{label}长度错误：普通车牌为 7 位，新能源车牌为 8 位",
    ),
    "plate_format": (
        "{field}: not a valid plate (ordinary 藏D12345, new energy 藏DD12345 or 藏D12345D, "
        "trailer 藏D1234挂)",
        "{label}格式错误（普通车牌如 藏D12345，新能源车牌如 藏DD12345、藏D12345D，"
        "挂车如 藏D1234挂）",
    ),
    "container_number_format": (
        "{field}: a container number is 4 capital letters and 7 digits, e.g. CSQU3054383",
        "{label}格式错误：应为 4 位大写字母加 7 位数字，如 CSQU3054383",
    ),
    "container_category": (
        "{field}: the fourth letter (equipment category) must be U, J or Z",
        "{label}错误：第 4 位设备类别代码应为 U、J 或 Z",
    ),
    "container_check_digit": (
        "{field}: wrong check digit; it should be {expected}",
        "{label}：集装箱箱号校验位错误，应为 {expected}",
    ),
    "duplicate_container_number": (
        "{field}: container {value} is listed more than once",
        "{label}重复：集装箱 {value} 已在其他行申报",
    ),
    "container_over_max_gross": (
        "{field}: {value} kg exceeds the {size_type} rated maximum of {max} kg",
        "{label}为 {value} 千克，超过 {size_type} 集装箱额定最大总重 {max} 千克",
    ),
    "gross_exceeds_containers": (
        "{field}: goods gross mass {value} kg exceeds the containers' total gross of {max} kg",
        "{label}为 {value} 千克，超过所列集装箱总重之和 {max} 千克",
    ),
    "container_gross_below_tare": (
        "{field}: {value} kg is below {required} kg, the {goods} kg of goods known to be in it "
        "plus the {min} kg an empty {size_type} container weighs at least (typical tare {tare} kg)",
        "{label}为 {value} 千克，低于 {required} 千克：已知箱内货物 {goods} 千克加 {size_type} "
        "空箱自重下限 {min} 千克（典型自重 {tare} 千克）",
    ),
    "gross_and_tare_exceed_containers": (
        "{field}: goods gross mass {value} kg plus the containers' least tares of {tare} kg is "
        "{required} kg, more than the containers' total gross of {max} kg",
        "{label}为 {value} 千克，加所列集装箱空箱自重下限之和 {tare} 千克为 {required} 千克，"
        "超过集装箱总重之和 {max} 千克",
    ),
    "hs_code_not_digits": (
        "{field}: an HS code has digits only",
        "{label}错误：商品编号只能包含数字",
    ),
    "hs_code_length": (
        "{field}: a declaration needs a {expected}-digit HS code, got {length} digits",
        "{label}错误：报关单商品编号应为 {expected} 位，实际为 {length} 位",
    ),
    # --- amounts ---
    "not_positive": ("{field} must be greater than 0", "{label}必须大于 0"),
    "net_exceeds_gross": (
        "{field}: net mass {value} kg exceeds gross mass {max} kg",
        "{label}为 {value} 千克，不能大于毛重 {max} 千克",
    ),
    "items_net_exceed_net": (
        "{field}: the items' net masses add up to {value} kg, more than the declared {max} kg",
        "{label}：各商品项净重之和为 {value} 千克，大于申报净重 {max} 千克",
    ),
    "total_value_mismatch": (
        "{field}: total value should be {expected} {currency} (the sum of the items' values)",
        "{label}与各商品项总价之和不符，应为 {expected} {currency}",
    ),
    "total_value_currency_mismatch": (
        "{field}: item currency {value} differs from the declaration currency {expected}",
        "{label}「{value}」与报关单币制 {expected} 不一致，无法核对总价",
    ),
    "total_value_mixed_currencies": (
        "{field}: items are in several currencies ({value}); give the currency of the total",
        "{label}：商品项使用多种币制（{value}），请填写总价的币制",
    ),
    "required_by_trade_mode": (
        "{field} is required for trade mode {trade_mode}",
        "监管方式为 {trade_mode} 时必须填写 {label}",
    ),
    # --- warnings ---
    "lithium_heading_mismatch": (
        "{field}: the name '{value}' describes {kind}; heading {expected} fits, not {actual}",
        "{label}：商品名称「{value}」属于{kind_zh}，应归入 {expected}，而非 {actual}",
    ),
    "value_per_kg_outside_band": (
        "{field}: {value} CNY per kg is outside the usual {min}-{max} CNY/kg for HS {hs}",
        "{label}：每千克 {value} 元，超出商品编号 {hs} 的常见区间 {min}-{max} 元/千克",
    ),
}


def label_zh(path: str) -> str:
    """The path with the Chinese name of its last segment, e.g. items[0].hs_code（商品编号）."""
    leaf = path.rsplit(".", 1)[-1].split("[", 1)[0]
    name = FIELD_ZH.get(leaf)
    if not path:
        return "报关单"
    return f"{path}（{name}）" if name else path


def violation(field: str, code: str, *, severity: str = "error", **params: object) -> Violation:
    """Build a Violation from the message templates of ``code``."""
    return violation_with(field, code, params, severity=severity)


def violation_with(
    field: str, code: str, params: Mapping[str, object], *, severity: str = "error"
) -> Violation:
    """:func:`violation` with the template parameters as a mapping, for callers that pass
    them on (a ``**params`` could otherwise collide with ``severity``)."""
    en, zh = MESSAGES[code]
    values = {k: str(v) for k, v in params.items()}
    kind = params.get("kind")
    if isinstance(kind, str):
        values.setdefault("kind_zh", KIND_ZH.get(kind, kind))
    return Violation(
        field=field,
        code=code,
        message_en=en.format(field=field or "declaration", **values),
        message_zh=zh.format(label=label_zh(field), **values),
        severity=severity,
    )
