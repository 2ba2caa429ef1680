"""Compiled rulesets by version: a ruleset never changes once published, so compile it once."""

from __future__ import annotations

from collections.abc import Callable
from threading import Lock
from typing import Any

from landport.risk.engine import CompiledRuleSet, compile_ruleset
from landport.risk.validation import ruleset_from_dict


class RulesetCache:
    """Keeps the compiled index of each ruleset version the process has seen."""

    def __init__(self) -> None:
        self._compiled: dict[int, CompiledRuleSet] = {}
        self._lock = Lock()

    def get(
        self, version: int, document: dict[str, Any] | Callable[[], dict[str, Any] | None]
    ) -> CompiledRuleSet:
        """The compiled ruleset; `document` may be a loader, called only on a cache miss."""
        compiled = self._compiled.get(version)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(version)
                if compiled is None:
                    doc = document() if callable(document) else document
                    if doc is None:
                        raise KeyError(f"ruleset version {version} is missing")
                    compiled = compile_ruleset(ruleset_from_dict({**doc, "version": version}))
                    self._compiled[version] = compiled
        return compiled
