"""The packaged default risk ruleset (an operator publishes their own with `landport risk`)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any


def default_ruleset() -> dict[str, Any]:
    text = (resources.files("landport") / "data" / "risk_rules.json").read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document
