"""`landport demo` as a newcomer runs it: in an empty folder, again, and afresh."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from fastapi import FastAPI

from landport.entrypoints.cli.demo import screen_path
from landport.entrypoints.web.app import create_app
from world import make_services

LANDPORT = str(Path(sys.executable).with_name("landport"))


def _demo(
    folder: Path, *args: str, url: str | None = None, serve: bool = False
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANDPORT_DATABASE")}
    if url is not None:
        env["LANDPORT_DATABASE__URL"] = url
    return subprocess.run(
        [LANDPORT, "demo", *([] if serve else ["--no-serve"]), *args],
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


def test_the_demo_refuses_a_production_site(tmp_path: Path) -> None:
    """Published logins and a simulated port have no place on a production site: refused
    before the database is touched."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANDPORT_")}
    env.update(
        LANDPORT_ENVIRONMENT="production",
        LANDPORT_AUTH__SECRET_KEY="k" * 40,
        NO_COLOR="1",
        COLUMNS="300",
    )
    done = subprocess.run(
        [LANDPORT, "demo", "--no-serve", "--fresh"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "LANDPORT_ENVIRONMENT" in done.stderr and "演示" in done.stderr
    assert not (tmp_path / "var").exists()


def test_the_demo_refuses_a_database_with_users_of_its_own(tmp_path: Path) -> None:
    """A developer's own port (someone the demo did not create can log in) is neither wiped
    by --fresh nor given the demo's published logins."""
    url = f"sqlite:///{tmp_path / 'site.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANDPORT_DATABASE")}
    env.update(LANDPORT_DATABASE__URL=url, NO_COLOR="1", COLUMNS="300")
    user = ["--username", "zhuoma", "--role", "port_admin", "--password", "s3cret-pass"]
    created = subprocess.run(
        [LANDPORT, "users", "create", *user],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )
    assert created.returncode == 0, created.stderr
    before = (tmp_path / "site.db").read_bytes()
    for args in ((), ("--fresh",)):
        done = _demo(tmp_path, *args, url=url)
        assert done.returncode == 2, done.stdout + done.stderr
        assert "zhuoma" in done.stderr and "LANDPORT_DATABASE__URL" in done.stderr
        assert (tmp_path / "site.db").read_bytes() == before  # not wiped, nothing seeded


def test_the_demo_refuses_a_busy_port_before_it_seeds_anything(tmp_path: Path) -> None:
    """A port another program listens on is refused at once, naming --port, not after the
    minute of seeding and warming up that ends in uvicorn's "address already in use"."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        done = _demo(tmp_path, "--fresh", "--port", str(port), serve=True)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"--port {port}" in done.stderr and "already in use" in done.stderr
    assert "已被占用" in done.stderr and "make demo PORT=" in done.stderr
    assert "serving" not in done.stdout and "seeded" not in done.stdout
    assert not (tmp_path / "var").exists()  # neither deleted, created nor seeded


def test_the_demo_finds_the_big_screen_among_the_included_routers(sqlite_url: str) -> None:
    services = make_services(sqlite_url)
    try:
        assert screen_path(create_app(services=services)) == "/screen"
    finally:
        services.dispose()
    assert screen_path(FastAPI()) is None  # an app without the UI: no line about it
