"""Compiled rulesets by version: a ruleset never changes once published, so compile it once."""

from __future__ import annotations

from threading import Lock
from typing import Any

from landport.risk.engine import CompiledRuleSet, compile_ruleset
from landport.risk.validation import ruleset_from_dict


class RulesetCache:
    """Keeps the compiled index of each ruleset version the process has seen."""

    def __init__(self) -> None:
        self._compiled: dict[int, CompiledRuleSet] = {}
        self._lock = Lock()

    def get(self, version: int, document: dict[str, Any]) -> CompiledRuleSet:
        compiled = self._compiled.get(version)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(version)
                if compiled is None:
                    compiled = compile_ruleset(ruleset_from_dict({**document, "version": version}))
                    self._compiled[version] = compiled
        return compiled
