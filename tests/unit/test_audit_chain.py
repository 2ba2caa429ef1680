"""The pure hash chain: verification names the first entry that does not fit."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from landport.audit.chain import GENESIS, digest_of, entry_hash, verify_chain


def chain(n: int) -> list[tuple[Any, ...]]:
    rows, prev = [], GENESIS
    for seq in range(1, n + 1):
        fields = dict(
            at=f"2026-05-01T08:00:{seq % 60:02d}+00:00",
            actor="officer",
            action="declaration.release",
            entity_type="declaration",
            entity_id=f"d{seq}",
            before_digest=digest_of({"n": seq}),
            after_digest=digest_of({"n": seq + 1}),
            detail="",
        )
        h = entry_hash(prev_hash=prev, seq=seq, **fields)
        rows.append((seq, *fields.values(), prev, h))
        prev = h
    return rows


def test_an_intact_chain_verifies_with_its_head() -> None:
    rows = chain(50)
    report = verify_chain(rows, (50, rows[-1][-1]))
    assert report.intact and report.entries == 50


def test_canonical_digest_ignores_key_order() -> None:
    assert digest_of({"a": 1, "b": "雪"}) == digest_of({"b": "雪", "a": 1})


@given(st.integers(min_value=1, max_value=30), st.integers(min_value=1, max_value=8))
def test_changing_any_field_of_any_entry_is_named(victim: int, field: int) -> None:
    rows = chain(30)
    row = list(rows[victim - 1])
    row[field] = str(row[field]) + "x"
    rows[victim - 1] = tuple(row)
    report = verify_chain(rows, (30, rows[-1][-1]))
    assert report.first_broken_seq == victim


def test_a_missing_tail_is_caught_by_the_head() -> None:
    rows = chain(10)
    report = verify_chain(rows[:-1], (10, rows[-1][-1]))
    assert report.first_broken_seq == 10
