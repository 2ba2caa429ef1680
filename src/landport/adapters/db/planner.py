"""Steering SQLite's query planner where it cannot tell a small index from a growing one.

SQLite keeps no statistics unless asked, so when a query names both a few rows' own key (a
declaration, a visit, a slot) and a status every old row shares, it may walk the status
index: every gate-in, release or booking the port ever made, a little slower each day.
PostgreSQL plans by its statistics and is not steered.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement


def not_indexed(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """`column || ''`: the same values on every engine (NULL stays NULL), but an expression
    no index covers, so the planner finds the rows through the query's other, smaller key."""
    return column.concat("")
