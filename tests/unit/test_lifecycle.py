"""The declaration lifecycle is an explicit state machine; illegal steps name the reason."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from builders import valid_declaration_content
from landport.declarations.model import (
    TRANSITIONS,
    CustomsDeclaration,
    DeclarationStatus,
    IllegalTransition,
)

S = DeclarationStatus
NOW = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


def declaration(status: DeclarationStatus = S.DRAFT) -> CustomsDeclaration:
    return CustomsDeclaration(
        "d1", "91330100716105852F", "zhang.wei", valid_declaration_content(), status, NOW, NOW
    )


def test_the_happy_path_through_examination_is_allowed() -> None:
    d = declaration()
    for step in (S.DECLARED, S.ASSESSED, S.EXAMINATION, S.RELEASED, S.EXITED):
        d.move_to(step, at=NOW, actor="officer")
    assert [h.status for h in d.history] == [
        S.DECLARED,
        S.ASSESSED,
        S.EXAMINATION,
        S.RELEASED,
        S.EXITED,
    ]


@pytest.mark.parametrize("final", [S.REJECTED, S.CANCELLED, S.EXITED])
def test_final_states_allow_nothing(final: DeclarationStatus) -> None:
    assert TRANSITIONS[final] == frozenset()


def test_an_illegal_step_is_refused_in_both_languages_and_changes_nothing() -> None:
    d = declaration(S.DRAFT)
    with pytest.raises(IllegalTransition) as refused:
        d.move_to(S.RELEASED, at=NOW, actor="officer")
    assert "draft" in refused.value.message_en and "released" in refused.value.message_en
    assert "草稿" in refused.value.message_zh
    assert d.status is S.DRAFT and d.history == []


def test_a_hold_remembers_the_stage_it_interrupted() -> None:
    d = declaration(S.DOCUMENT_CHECK)
    d.move_to(S.HELD, at=NOW, actor="officer", reason="certificate missing")
    assert d.held_from is S.DOCUMENT_CHECK
    d.move_to(S.DOCUMENT_CHECK, at=NOW, actor="officer")
    assert d.status is S.DOCUMENT_CHECK


def test_every_status_has_a_rule() -> None:
    assert set(TRANSITIONS) == set(S)
