"""Reading checkpoint documents: only the exact shape is a witness."""

from __future__ import annotations

from typing import Any

import pytest

from landport.audit.chain import GENESIS, verify_chain
from landport.audit.checkpoint import Checkpoint, CheckpointError, checkpoint_from, witnesses_of

GOOD = Checkpoint(12, "a" * 64, "2026-03-02T02:00:00.000000+00:00", "0123456789abcdef", "c2ln")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "something-else"}, "not a landport-audit-checkpoint"),
        ({"seq": -1}, "seq must be"),
        ({"seq": True}, "seq must be"),
        ({"seq": "12"}, "seq must be"),
        ({"hash": "A" * 64}, "hash must be"),
        ({"hash": "a" * 63}, "hash must be"),
        ({"signature": ""}, "must be non-empty text"),
    ],
)
def test_a_malformed_checkpoint_is_refused_with_the_reason(
    change: dict[str, Any], message: str
) -> None:
    with pytest.raises(CheckpointError, match=message):
        checkpoint_from({**GOOD.as_dict(), **change})


def test_a_missing_field_is_named() -> None:
    document = GOOD.as_dict()
    del document["taken_at"]
    with pytest.raises(CheckpointError, match="missing taken_at"):
        checkpoint_from(document)


def test_a_checkpoint_reads_back_as_written_and_the_signature_covers_every_field() -> None:
    assert checkpoint_from(GOOD.as_dict()) == GOOD
    base = GOOD.signed_bytes()
    for field in ("seq", "hash", "taken_at", "key_id"):
        other = {"seq": 13} if field == "seq" else {field: "b" * 64}
        assert checkpoint_from({**GOOD.as_dict(), **other}).signed_bytes() != base


def test_two_checkpoints_that_disagree_on_an_entry_cannot_both_witness() -> None:
    other = Checkpoint(12, "b" * 64, GOOD.taken_at, GOOD.key_id, GOOD.signature)
    with pytest.raises(CheckpointError, match="disagree on entry 12"):
        witnesses_of([GOOD, other])
    assert witnesses_of([GOOD, GOOD, Checkpoint(0, GENESIS, "t", "k", "s")]) == {12: "a" * 64}


def test_an_empty_chain_against_a_checkpoint_is_a_cut() -> None:
    report = verify_chain([], (0, GENESIS), {3: "c" * 64})
    assert (report.intact, report.first_broken_seq) == (False, 1)
