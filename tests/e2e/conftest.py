"""The e2e world runs on both engines: every test here runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from world import World


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    w = World(database_url)
    w.without_random_selection()
    yield w
    w.close()
