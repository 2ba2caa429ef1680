"""`landport demo` as a newcomer runs it: in an empty folder, again, and afresh."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

LANDPORT = str(Path(sys.executable).with_name("landport"))


def _demo(folder: Path, *args: str, url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANDPORT_DATABASE")}
    if url is not None:
        env["LANDPORT_DATABASE__URL"] = url
    return subprocess.run(
        [LANDPORT, "demo", "--no-serve", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**env, "NO_COLOR": "1", "COLUMNS": "200"},
    )


def test_the_demo_sets_up_in_an_empty_folder_then_keeps_or_starts_over(tmp_path: Path) -> None:
    first = _demo(tmp_path, "--fresh")  # no var/ folder yet: a clean checkout
    assert first.returncode == 0, first.stderr
    assert "a fresh demo database: var/landport.db" in first.stdout
    assert "seeded" in first.stdout and (tmp_path / "var" / "landport.db").is_file()
    again = _demo(tmp_path)
    assert again.returncode == 0, again.stderr
    assert "demo data already present" in again.stdout
    over = _demo(tmp_path, "--fresh")
    assert over.returncode == 0, over.stderr
    assert "seeded" in over.stdout  # the file was deleted and seeded anew


def test_fresh_leaves_any_other_database_alone(tmp_path: Path) -> None:
    kept = tmp_path / "site.db"
    done = _demo(tmp_path, "--fresh", url=f"sqlite:///file:{kept}?uri=true")
    assert "--fresh starts over on the embedded SQLite file only" in done.stdout
