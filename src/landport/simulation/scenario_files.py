"""Scenario files: where a name or path leads, reading one (UTF-8, TOML), and a what-if
file merged over the `base` it names. `scenario.py` checks the merged document."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from landport.shared.errors import InvalidInput, os_error_text
from landport.simulation.scenario_fields import violation as _v


def default_scenario_path() -> Path:
    return Path(str(resources.files("landport") / "data" / "scenarios" / "shigatse.toml"))


def shipped_names() -> list[str]:
    """The scenarios that ship with the platform, by the name that selects one."""
    return sorted(p.stem for p in default_scenario_path().parent.glob("*.toml"))


def locate(path: str | Path, folder: Path) -> Path:
    """A path (relative to the file that names it), or the name of a shipped scenario: only a
    bare name is looked for among them, so that a path never leads out of their folder."""
    chosen = folder / path
    if chosen.exists() or len(Path(path).parts) != 1:
        return chosen
    shipped = default_scenario_path().parent / f"{path}.toml"
    return shipped if shipped.exists() else chosen


def read_text(chosen: Path, field: str = "scenario") -> str:
    """The file's text; a refusal names the path as given (a folder's bare name says little)
    and, for a file that is not there, the shipped scenarios a bare name may select."""
    try:
        return chosen.read_text(encoding="utf-8-sig")  # a byte-order mark (Notepad) is fine
    except OSError as exc:
        en, zh = os_error_text(exc)
        if isinstance(exc, FileNotFoundError):
            names = ", ".join(shipped_names())
            en += f"; give a scenario file or the name of a shipped scenario: {names}"
            zh += f"；请给出场景文件，或内置场景的名称：{names}"
        raise InvalidInput(
            [
                _v(
                    field,
                    "unreadable",
                    f"cannot read {chosen}: {en}",
                    f"无法读取场景文件 {chosen}：{zh}",
                )
            ]
        ) from None
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            [
                _v(
                    field,
                    "not_utf8",
                    f"{chosen} is not UTF-8 text (byte {exc.start}); save it as UTF-8",
                    f"{chosen} 不是 UTF-8 文本（第 {exc.start} 字节）；请以 UTF-8 保存",
                )
            ]
        ) from None


def toml_document(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(
            [_v("scenario", "toml_syntax", f"not valid TOML ({exc})", f"不是有效的 TOML（{exc}）")]
        ) from None


#: How many `base` files deep a scenario may build on another.
MOST_BASES = 4
#: Tables of weights that a what-if file replaces whole: `by_hour = { "03" = 1 }` means
#: every truck at 03:00, not the base's hours plus one.
WHOLE_TABLES = frozenset(
    {"arrivals.by_hour", "arrivals.by_province", "cargo.mix", "border.capacity", "border.share"}
)


def with_base(doc: dict[str, Any], folder: Path, chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """A what-if file names the scenario it changes (`base = "shigatse"`) and states only
    what differs: its tables are merged over the base's, key by key; a table of weights
    (`WHOLE_TABLES`) and any other value (a number, a list) replace the base's."""
    if "base" not in doc:
        return doc
    name = doc.pop("base")
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput(
            [
                _v(
                    "base",
                    "bad_base",
                    "must name a scenario file or a shipped scenario",
                    "须为场景文件或内置场景的名称",
                )
            ]
        )
    chosen = locate(name, folder)
    if chosen.resolve() in chain or len(chain) >= MOST_BASES:
        names = " → ".join(p.name for p in (*chain, chosen))
        raise InvalidInput(
            [
                _v(
                    "base",
                    "bad_base",
                    f"files may build on one another at most {MOST_BASES} deep, without a "
                    f"loop: {names}",
                    f"场景文件最多嵌套 {MOST_BASES} 层，且不得循环：{names}",
                )
            ]
        )
    base = with_base(
        toml_document(read_text(chosen, "base")), chosen.parent, (*chain, chosen.resolve())
    )
    return _merged(base, doc)


def _merged(base: dict[str, Any], changes: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out = dict(base)
    for key, value in changes.items():
        old, path = out.get(key), f"{prefix}{key}"
        if isinstance(old, dict) and isinstance(value, dict) and path not in WHOLE_TABLES:
            out[key] = _merged(old, value, f"{path}.")
        else:
            out[key] = value
    return out
