"""Whom a declarant declares for: its own enterprise, or a client of its customs broker.

A declarant of enterprise Y may declare for consignor X (X ≠ Y) only while an unrevoked
authorisation of Y by X covers the day (a Beijing date). The rules of a declaration then see
the declarant as acting for X, and the declaration records Y as its declaring agent; without
such an authorisation the consignor is refused as ``no_agency_authorisation``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from landport.declarations.checking import check_declaration
from landport.declarations.messages import violation
from landport.declarations.model import CustomsDeclaration, DeclarationContent
from landport.enterprises.agency import authorised_on
from landport.enterprises.model import Actor, AgencyAuthorisation
from landport.reference.catalog import ReferenceCatalog
from landport.shared.errors import InvalidInput, Violation

#: The authorisations of one consignor (first) for one broker (second), revoked ones too.
Authorisations = Callable[[str, str], Iterable[AgencyAuthorisation]]

REFUSED = "no_agency_authorisation"
_OWN_ONLY = "not_own_enterprise"  # the rule's code for "not the declarant's enterprise"


@dataclass(frozen=True)
class DeclaringFor:
    """``actor`` as the declaration rules see it, and the broker acting as agent (or None)."""

    actor: Actor
    agent_uscc: str | None = None


def _for_a_client(actor: Actor, consignor_uscc: str) -> bool:
    """Whether ``actor`` declaring for the consignor would act as a customs broker for a
    client: a declarant of another enterprise. Officials and the consignor's own declarants
    act as themselves."""
    return actor.is_declarant and actor.enterprise_uscc != consignor_uscc


def _authorised(
    actor: Actor, consignor_uscc: str, authorisations: Authorisations, today: date
) -> bool:
    """Whether an authorisation of the actor's enterprise by the consignor covers ``today``."""
    own = actor.enterprise_uscc
    return (
        own is not None
        and bool(consignor_uscc)
        and authorised_on(authorisations(consignor_uscc, own), today)
    )


def may_declare_for(
    actor: Actor, consignor_uscc: str, authorisations: Authorisations, today: date
) -> bool:
    """Whether ``actor`` may declare for the consignor on ``today`` (a Beijing date):
    officials and the consignor's own declarants always; a declarant of another enterprise
    (a customs broker) only while an authorisation of it by the consignor covers the day."""
    return not _for_a_client(actor, consignor_uscc) or _authorised(
        actor, consignor_uscc, authorisations, today
    )


def _stripped(consignor_uscc: object) -> str:
    """The consignor as the payload names it, stripped; blank when it is not text."""
    return consignor_uscc.strip() if isinstance(consignor_uscc, str) else ""


def declaring_for(
    actor: Actor, consignor_uscc: str, authorisations: Authorisations, today: date
) -> DeclaringFor:
    """A declarant of a broker acting for an authorising consignor (as the payload names it,
    stripped) is seen as that consignor's declarant, with its own enterprise as agent; anyone
    else is seen as they are: the consignor's own declarants, officials, a refused broker."""
    if _for_a_client(actor, consignor_uscc) and _authorised(
        actor, consignor_uscc, authorisations, today
    ):
        agent = actor.enterprise_uscc
        return DeclaringFor(dataclasses.replace(actor, enterprise_uscc=consignor_uscc), agent)
    return DeclaringFor(actor)


def agency_refusal(actor: Actor, consignor_uscc: str) -> Violation:
    """The consignor field, refused: the declarant's enterprise may not declare for it."""
    return violation(
        "consignor_uscc", REFUSED, expected=actor.enterprise_uscc or "-", value=consignor_uscc
    )


def check_as_declarant(
    raw: Mapping[str, object],
    catalog: ReferenceCatalog,
    *,
    actor: Actor,
    authorisations: Authorisations,
    today: date,
) -> tuple[DeclarationContent | None, list[Violation], str | None]:
    """:func:`check_declaration` for ``actor``, who may be a broker's declarant acting for a
    client: ``(content, violations, agent_uscc)``. A consignor that is neither the
    declarant's enterprise nor a client authorising it today is ``no_agency_authorisation``."""
    consignor = _stripped(raw.get("consignor_uscc"))
    who = declaring_for(actor, consignor, authorisations, today)
    content, problems = check_declaration(raw, catalog, actor=who.actor)
    problems = [
        agency_refusal(actor, consignor)
        if (p.field, p.code) == ("consignor_uscc", _OWN_ONLY)
        else p
        for p in problems
    ]
    return content, problems, who.agent_uscc


def require_agency(
    actor: Actor, declaration: CustomsDeclaration, authorisations: Authorisations, today: date
) -> None:
    """A broker's declarant acts on a client's declaration (submit, cancel, pre-advise its
    truck, book or change its appointment) only while an authorisation covers the day; the
    consignor's own declarants and officials always may."""
    consignor = declaration.enterprise_uscc
    if not may_declare_for(actor, consignor, authorisations, today):
        raise InvalidInput([agency_refusal(actor, consignor)])
