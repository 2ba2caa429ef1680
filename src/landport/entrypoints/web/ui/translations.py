"""Every visible string in zh-CN and English, from JSON catalogs merged per language.

Each area ships `AREA.zh-CN.json` and `AREA.en.json` in `i18n/`; all files of a language
are merged, so a new area adds its own files without touching anyone else's. A key may
live in one file only, and every key must exist in both languages (a test enforces it).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"
CATALOG_DIR = Path(__file__).parent / "i18n"


class CatalogError(ValueError):
    """A catalog file is malformed or defines a key another file already defines."""


def load_catalogs(directory: Path = CATALOG_DIR) -> dict[str, dict[str, str]]:
    """{language: {key: text}} merged from every `*.LANG.json` in `directory`."""
    merged: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}
    for lang in LANGUAGES:
        for path in sorted(directory.glob(f"*.{lang}.json")):
            entries = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(entries, dict):
                raise CatalogError(f"{path.name}: a catalog is one JSON object of key: text")
            for key, text in entries.items():
                if not isinstance(text, str):
                    raise CatalogError(f"{path.name}: '{key}' must be a string")
                if key in merged[lang]:
                    raise CatalogError(f"{path.name}: '{key}' is already defined in another file")
                merged[lang][key] = text
    return merged


def missing_keys(catalogs: dict[str, dict[str, str]]) -> dict[str, list[str]]:
    """Keys present in some language but not in `lang`, per language."""
    every = set().union(*(c.keys() for c in catalogs.values()))
    return {lang: sorted(every - set(c)) for lang, c in catalogs.items()}


@lru_cache(maxsize=1)
def catalogs() -> dict[str, dict[str, str]]:
    return load_catalogs()


def language_of(value: str | None) -> str:
    """The supported language a cookie or query names; zh-CN for anything else."""
    if value and value.lower().startswith("en"):
        return "en"
    return DEFAULT_LANGUAGE


class Translator:
    """`t("screen.title")`; a missing key renders as the key itself, bracketed, so it shows."""

    def __init__(self, lang: str) -> None:
        self.lang = language_of(lang)
        self.catalog = catalogs()[self.lang]

    def __call__(self, key: str, **values: object) -> str:
        text = self.catalog.get(key)
        if text is None:
            return f"[{key}]"
        return text.format(**values) if values else text
