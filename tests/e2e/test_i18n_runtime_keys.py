"""Keys the pages build at run time (t("segment." + name), t(`status.${s}`), ...) exist in
both languages for every value the server can send: the literal-key check cannot see them."""

from __future__ import annotations

import pytest

from landport.adapters.db.screen_queries import HEADLINE_SPAN
from landport.adapters.reference_files import load_catalog
from landport.declarations.model import DeclarationStatus
from landport.entrypoints.web.ui.translations import load_catalogs
from landport.reports.time_release import time_release
from landport.risk.model import SelectivityLane
from landport.seals.model import TripState

#: Every segment and span the time-release report (and so the big screen) may name.
SEGMENTS = [name for name in time_release([])["overall"] if "->" in name]


def _runtime_keys() -> list[str]:
    return [
        *(f"segment.{name}" for name in [*SEGMENTS, HEADLINE_SPAN]),
        *(f"consoles.status.{s.value}" for s in DeclarationStatus),
        *(f"consoles.lane.{lane.value}" for lane in SelectivityLane),
        *(f"consoles.trip.{state.value}" for state in TripState),
        # the goods' units as declared (the big screen's truck file says "2 辆", not "2 vehicle")
        *(f"goods_unit.{unit}" for unit in load_catalog().units),
    ]


def test_the_screen_names_the_headline_span_among_its_segments() -> None:
    assert HEADLINE_SPAN in SEGMENTS


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_key_built_at_run_time_is_in_the_catalog(lang: str) -> None:
    catalog = load_catalogs()[lang]
    assert [key for key in _runtime_keys() if key not in catalog] == []
