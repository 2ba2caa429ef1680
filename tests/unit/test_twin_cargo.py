"""The twin's exporters read as enterprises do in the register, in both languages."""

from __future__ import annotations

from landport.adapters.reference_files import load_catalog
from landport.simulation.cargo import GOODS, PROVINCE_CODES, exporter, newcomer


def test_every_twin_exporter_has_a_readable_name_in_both_languages() -> None:
    provinces = load_catalog().provinces
    for province in PROVINCE_CODES:
        for goods in GOODS:
            e = exporter(province, goods)
            assert e.name_en.startswith(f"Twin {province.title()} ") and "_" not in e.name_en
            name_zh = e.name_zh(provinces)
            assert name_zh.startswith("孪生") and name_zh.endswith("出口企业")
            assert not any(c.isascii() and c.isalpha() for c in name_zh), name_zh
    first = newcomer("zhejiang", "lithium_ion", 1492182)
    assert first.name_zh(provinces) == "孪生浙江锂电池储能出口企业（首次出口，第1492182车）"
    assert first.name_en == "Twin Zhejiang lithium-ion battery exporter (new, truck 1492182)"
