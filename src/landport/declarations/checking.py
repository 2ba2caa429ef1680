"""The one check of a posted declaration: its shape and every business rule, all at once.

A declarant fixing a refused declaration should see every mistake in one round trip, so a
missing or malformed field must not hide the errors in the fields that are fine.
"""

from __future__ import annotations

from collections.abc import Mapping

from landport.declarations.model import DeclarationContent
from landport.declarations.parsing import read_declaration
from landport.declarations.validation import errors_first, validate_draft
from landport.enterprises.model import Actor
from landport.reference.catalog import ReferenceCatalog
from landport.shared.errors import Violation


def check_declaration(
    raw: Mapping[str, object], catalog: ReferenceCatalog, *, actor: Actor
) -> tuple[DeclarationContent | None, list[Violation]]:
    """``(content, violations)`` of a posted JSON object.

    ``content`` is None iff the shape is broken (then the violations include the shape
    problems). The violations are the shape problems, then every business-rule error whose
    inputs were usable, then the warnings; with a sound shape this is exactly
    :func:`parse_declaration` followed by :func:`validate_declaration`. Whether the
    declaration may be accepted is for the caller: any violation of severity "error".
    """
    draft, shape = read_declaration(raw)
    if draft is None:
        return None, shape
    content = None if shape else draft.complete()
    return content, errors_first([*shape, *validate_draft(draft, catalog, actor=actor)])
