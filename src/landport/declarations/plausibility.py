"""Plausibility warnings: accepted, but shown to the declarant and the officer.

The lithium-battery heading trap (a name that describes the other kind of lithium battery)
and a declared value per kg outside the usual band of its HS code. Like every rule, each
warning is judged only from usable fields of the draft.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from landport.declarations.draft import UNUSABLE, DeclarationDraft
from landport.declarations.messages import violation
from landport.reference.catalog import ReferenceCatalog, ValueBand
from landport.shared.errors import Violation

WARNING = "warning"

_PRIMARY = (
    "a primary (non-rechargeable) lithium battery",
    "锂原电池（一次电池）",
)
_ION = ("a lithium-ion (rechargeable) accumulator", "锂离子蓄电池")


def _mentions(name: str, markers: Sequence[str], others: Sequence[str]) -> bool:
    """Whether ``name`` carries a marker, ignoring longer rival markers that contain one.

    "non-rechargeable" (primary) contains "rechargeable" (ion): it must not count as ion.
    """
    text = name.casefold()
    wanted = [m.casefold() for m in markers]
    for rival in (o.casefold() for o in others):
        if any(m in rival for m in wanted):
            text = text.replace(rival, " ")
    return any(m in text for m in wanted)


def _heading(hs6: str) -> str:
    return f"{hs6[:4]}.{hs6[4:]}"


def lithium_warnings(draft: DeclarationDraft, naming: Mapping[str, Any]) -> Iterator[Violation]:
    """Primary lithium batteries belong in 8506.50, lithium-ion accumulators in 8507.60."""
    if draft.items is UNUSABLE:
        return
    primary_hs6, ion_hs6 = str(naming["primary_hs6"]), str(naming["ion_hs6"])
    primary = [str(m) for m in naming["primary_name_markers"]]
    ion = [str(m) for m in naming["ion_name_markers"]]
    for i, item in enumerate(draft.items):
        hs_code, name = item.hs_code, item.name
        if hs_code is UNUSABLE or name is UNUSABLE:
            continue
        if hs_code.startswith(primary_hs6) and _mentions(name, ion, primary):
            fits, declared, (kind, kind_zh) = ion_hs6, primary_hs6, _ION
        elif hs_code.startswith(ion_hs6) and _mentions(name, primary, ion):
            fits, declared, (kind, kind_zh) = primary_hs6, ion_hs6, _PRIMARY
        else:
            continue
        yield violation(
            f"items[{i}].hs_code",
            "lithium_heading_mismatch",
            severity=WARNING,
            value=name,
            kind=kind,
            kind_zh=kind_zh,
            expected=_heading(fits),
            actual=_heading(declared),
        )


@dataclass(frozen=True, slots=True)
class BandBreach:
    """An item whose declared value per kg is outside the band of its HS code."""

    index: int
    hs_code: str
    cny_per_kg: Decimal
    band: ValueBand


def band_breaches(draft: DeclarationDraft, catalog: ReferenceCatalog) -> Iterator[BandBreach]:
    """Each item whose CNY per kg is outside its band.

    Items without a band, a known currency or a net mass are not judged; a single item without
    its own net mass is judged against the declaration's. An unusable mass is never replaced.
    """
    items = draft.items
    if items is UNUSABLE:
        return
    single = len(items) == 1
    for i, item in enumerate(items):
        hs_code, value, currency, net = item.hs_code, item.value, item.currency, item.net_kg
        if hs_code is UNUSABLE or value is UNUSABLE or currency is UNUSABLE:
            continue
        if net is None and single:
            net = draft.net_kg
        band = catalog.value_band_for(hs_code)
        cny = catalog.to_cny(value, currency)
        if band is None or net is None or net is UNUSABLE or net <= 0 or cny is None:
            continue
        per_kg = cny / net
        if not band.min_cny_per_kg <= per_kg <= band.max_cny_per_kg:
            yield BandBreach(i, hs_code, per_kg, band)


def value_band_warnings(draft: DeclarationDraft, catalog: ReferenceCatalog) -> Iterator[Violation]:
    for breach in band_breaches(draft, catalog):
        yield violation(
            f"items[{breach.index}].value",
            "value_per_kg_outside_band",
            severity=WARNING,
            value=_shown(breach.cny_per_kg),
            min=breach.band.min_cny_per_kg,
            max=breach.band.max_cny_per_kg,
            hs=breach.hs_code,
        )


def _shown(amount: Decimal) -> str:
    """Two decimals for ordinary values; absurd ones (a net mass of 1e-300 kg) in E notation."""
    return f"{amount:.2f}" if amount.adjusted() < 15 else f"{amount:.3E}"
