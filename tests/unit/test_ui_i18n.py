"""Every string of the web UI exists in Chinese and in English, and every key used exists."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from landport.entrypoints.web.ui.translations import (
    CATALOG_DIR,
    CatalogError,
    Translator,
    load_catalogs,
    missing_keys,
)

UI = CATALOG_DIR.parent
#: Literal keys: t("key" / t('key' in templates, LP.t("key" in scripts.
KEY_USE = re.compile(r"""\bt\(\s*["']([a-z0-9_.\-]+)["']""", re.IGNORECASE)


def _used_keys() -> dict[str, set[str]]:
    """Key -> files using it; a file in an area folder (consoles/) may omit the area prefix."""
    catalog = load_catalogs()["en"]
    used: dict[str, set[str]] = {}
    for path in [*UI.glob("templates/**/*.html"), *UI.glob("static/**/*.js")]:
        area = path.parent.name
        for key in KEY_USE.findall(path.read_text(encoding="utf-8")):
            if key.endswith("."):  # a prefix completed at run time, e.g. t("role." ~ r)
                continue
            if key not in catalog and f"{area}.{key}" in catalog:
                key = f"{area}.{key}"
            used.setdefault(key, set()).add(path.name)
    return used


def test_every_key_exists_in_both_languages() -> None:
    assert missing_keys(load_catalogs()) == {"zh-CN": [], "en": []}


def test_every_key_a_template_or_script_uses_is_in_the_catalogs() -> None:
    catalog = load_catalogs()["en"]
    unknown = {key: sorted(files) for key, files in _used_keys().items() if key not in catalog}
    assert unknown == {}


def test_no_text_is_left_empty_or_untranslated_by_mistake() -> None:
    catalogs = load_catalogs()
    empty = [k for lang in catalogs for k, text in catalogs[lang].items() if not text.strip()]
    assert empty == []


def test_a_key_defined_in_two_files_is_refused(tmp_path: Path) -> None:
    for area in ("one", "two"):
        for lang in ("zh-CN", "en"):
            (tmp_path / f"{area}.{lang}.json").write_text(json.dumps({"same.key": "x"}))
    with pytest.raises(CatalogError, match="already defined"):
        load_catalogs(tmp_path)


def test_a_key_missing_in_one_language_is_reported(tmp_path: Path) -> None:
    (tmp_path / "area.zh-CN.json").write_text(json.dumps({"a": "甲", "b": "乙"}))
    (tmp_path / "area.en.json").write_text(json.dumps({"a": "A"}))
    assert missing_keys(load_catalogs(tmp_path)) == {"zh-CN": [], "en": ["b"]}


def test_the_translator_falls_back_to_chinese_and_shows_a_missing_key() -> None:
    assert Translator("fr")("login.submit") == "登录"
    assert Translator("en")("login.submit") == "Log in"
    assert Translator("en")("no.such.key") == "[no.such.key]"
    assert Translator("en")("workspace.signed_in_as", user="u", role="r") == "Signed in as u (r)."
