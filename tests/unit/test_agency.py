"""Agency: a consignor authorises a customs broker to declare for it. The pure rules: which
days an authorisation covers, who sees a declaration, whom a declarant declares for."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from builders import CONSIGNOR_USCC, declarant, make_uscc, valid_declaration_payload
from landport.adapters.reference_files import load_catalog
from landport.declarations.access import snapshot
from landport.declarations.agent import (
    Authorisations,
    check_as_declarant,
    declaring_for,
    require_agency,
)
from landport.declarations.model import CustomsDeclaration, DeclarationStatus
from landport.declarations.parsing import parse_declaration
from landport.enterprises.agency import authorisation_problems, authorised_on
from landport.enterprises.model import Actor, AgencyAuthorisation, Role
from landport.shared.errors import InvalidInput

CATALOG = load_catalog()
BROKER_USCC = make_uscc("91330100MA2B00001")
THIRD_USCC = make_uscc("91440300MA5F00009")
TODAY = date(2026, 12, 2)
NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)


def authorisation(
    valid_from: date = date(2026, 12, 1),
    valid_to: date = date(2026, 12, 31),
    *,
    revoked: bool = False,
) -> AgencyAuthorisation:
    return AgencyAuthorisation(
        "a1",
        CONSIGNOR_USCC,
        BROKER_USCC,
        valid_from,
        valid_to,
        "admin",
        NOW,
        revoked_at=NOW if revoked else None,
    )


def only(*found: AgencyAuthorisation) -> Authorisations:
    """The authorisations store of the consignor for the broker, and nothing else."""

    def between(consignor: str, agent: str) -> list[AgencyAuthorisation]:
        return list(found) if (consignor, agent) == (CONSIGNOR_USCC, BROKER_USCC) else []

    return between


BROKER = declarant(BROKER_USCC, "li.broker")


# --- the days covered -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "covered"),
    [
        (date(2026, 11, 30), False),
        (date(2026, 12, 1), True),  # first day included
        (date(2026, 12, 31), True),  # last day included
        (date(2027, 1, 1), False),
    ],
)
def test_an_authorisation_covers_its_first_to_its_last_day(day: date, covered: bool) -> None:
    assert authorisation().covers(day) is covered


def test_an_authorisation_is_in_force_on_the_beijing_date_of_the_moment() -> None:
    # 16:30 UTC on 30 November is already 1 December, the first day, in Beijing
    assert authorisation().in_force(datetime(2026, 11, 30, 16, 30, tzinfo=UTC))
    assert not authorisation().in_force(datetime(2026, 11, 30, 15, 59, tzinfo=UTC))
    # 16:00 UTC on 31 December is 1 January in Beijing: the day after the last
    assert authorisation().in_force(datetime(2026, 12, 31, 15, 59, tzinfo=UTC))
    assert not authorisation().in_force(datetime(2026, 12, 31, 16, 0, tzinfo=UTC))
    assert not authorisation(revoked=True).in_force(NOW)


def test_a_revoked_authorisation_covers_no_day() -> None:
    assert not authorisation(revoked=True).covers(TODAY)
    assert authorised_on([authorisation(revoked=True), authorisation()], TODAY)
    assert not authorised_on([], TODAY)


# --- who sees a declaration -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "agent", "sees"),
    [
        (declarant(CONSIGNOR_USCC), None, True),
        (declarant(CONSIGNOR_USCC), BROKER_USCC, True),  # the consignor, whoever lodged it
        (BROKER, BROKER_USCC, True),  # the broker that lodged it
        (BROKER, None, False),  # not lodged by the broker
        (declarant(THIRD_USCC), BROKER_USCC, False),
        (Actor("nobody", Role.DECLARANT), None, False),  # a declarant without an enterprise
        (Actor("officer", Role.CUSTOMS_OFFICER), BROKER_USCC, True),
    ],
)
def test_who_sees_a_declaration(actor: Actor, agent: str | None, sees: bool) -> None:
    assert actor.may_see_declaration(CONSIGNOR_USCC, agent) is sees


# --- whom a declarant declares for ------------------------------------------------------------


def test_an_authorised_broker_declares_as_agent_for_its_client() -> None:
    who = declaring_for(BROKER, CONSIGNOR_USCC, only(authorisation()), TODAY)
    assert who.agent_uscc == BROKER_USCC
    assert who.actor.enterprise_uscc == CONSIGNOR_USCC
    assert who.actor.username == BROKER.username


@pytest.mark.parametrize(
    "found",
    [(), (authorisation(revoked=True),), (authorisation(date(2026, 1, 1), date(2026, 12, 1)),)],
    ids=["none", "revoked", "expired"],
)
def test_a_broker_without_a_covering_authorisation_is_seen_as_itself(
    found: tuple[AgencyAuthorisation, ...],
) -> None:
    assert declaring_for(BROKER, CONSIGNOR_USCC, only(*found), TODAY).agent_uscc is None


def test_a_declarant_for_its_own_enterprise_has_no_agent() -> None:
    own = declarant(CONSIGNOR_USCC)
    assert declaring_for(own, CONSIGNOR_USCC, only(authorisation()), TODAY).actor == own
    assert declaring_for(own, CONSIGNOR_USCC, only(), TODAY).agent_uscc is None


def test_checking_a_clients_declaration_refuses_the_consignor_without_authorisation() -> None:
    payload = valid_declaration_payload(consignor_uscc=CONSIGNOR_USCC)
    _content, problems, agent = check_as_declarant(
        payload, CATALOG, actor=BROKER, authorisations=only(), today=TODAY
    )
    refused = [p for p in problems if p.field == "consignor_uscc"]
    assert [p.code for p in refused] == ["no_agency_authorisation"]
    assert BROKER_USCC in refused[0].message_en and CONSIGNOR_USCC in refused[0].message_en
    assert "代理报关委托书" in refused[0].message_zh
    assert agent is None


def test_checking_a_clients_declaration_with_authorisation_passes_as_agent() -> None:
    payload = valid_declaration_payload(consignor_uscc=CONSIGNOR_USCC)
    content, problems, agent = check_as_declarant(
        payload, CATALOG, actor=BROKER, authorisations=only(authorisation()), today=TODAY
    )
    assert content is not None
    assert [p for p in problems if p.severity == "error"] == []
    assert agent == BROKER_USCC


def test_submitting_or_cancelling_a_clients_declaration_needs_the_authorisation_today() -> None:
    content, _ = parse_declaration(valid_declaration_payload())
    assert content is not None
    lodged = CustomsDeclaration(
        "d1", CONSIGNOR_USCC, "li.broker", content, DeclarationStatus.DRAFT, NOW, NOW,
        declaring_agent_uscc=BROKER_USCC,
    )  # fmt: skip
    assert snapshot(lodged)["declaring_agent_uscc"] == BROKER_USCC  # audited with the rest
    require_agency(BROKER, lodged, only(authorisation()), TODAY)
    require_agency(declarant(CONSIGNOR_USCC), lodged, only(), TODAY)  # the consignor may
    with pytest.raises(InvalidInput) as refused:
        require_agency(BROKER, lodged, only(authorisation(revoked=True)), TODAY)
    assert [(v.field, v.code) for v in refused.value.violations] == [
        ("consignor_uscc", "no_agency_authorisation")
    ]


# --- recording an authorisation ---------------------------------------------------------------


def test_a_new_authorisation_names_every_broken_rule() -> None:
    problems = authorisation_problems(
        CONSIGNOR_USCC, CONSIGNOR_USCC, date(2026, 12, 31), date(2026, 12, 1), [CONSIGNOR_USCC]
    )
    assert [(p.field, p.code) for p in problems] == [
        ("agent_uscc", "agent_is_consignor"),
        ("valid_to", "valid_to_before_valid_from"),
    ]
    assert all(p.message_en and p.message_zh for p in problems)
    unknown = authorisation_problems(CONSIGNOR_USCC, BROKER_USCC, TODAY, TODAY, [CONSIGNOR_USCC])
    assert [(p.field, p.code) for p in unknown] == [("agent_uscc", "enterprise_not_registered")]
