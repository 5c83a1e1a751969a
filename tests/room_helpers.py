"""Shared pieces of the room tests: a fresh database per test (SQLite always, PostgreSQL
when ``DETENTE_TEST_POSTGRES_URL`` names a server where the role may create databases;
``scripts/test.sh`` starts one when it runs as root), and korea-2017's numbers as a party
would enter them."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("sqlalchemy", reason="the room extra (SQLAlchemy) is not installed")
pytest.importorskip("alembic", reason="the room extra (Alembic) is not installed")

import detente

POSTGRES_ENV = "DETENTE_TEST_POSTGRES_URL"
NO_POSTGRES = (f"PostgreSQL room tests need {POSTGRES_ENV} (scripts/test.sh sets it when it "
               "can install and start Debian's postgresql, i.e. as root with apt)")


def _postgres_database(admin_url: str) -> Iterator[str]:
    from sqlalchemy import create_engine, text

    from detente.room.db import database_url

    name = f"detente_room_{secrets.token_hex(6)}"
    admin = create_engine(database_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = admin_url.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def room_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty room database: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield str(tmp_path / "room.db")
        return
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(NO_POSTGRES)
    yield from _postgres_database(url)


@pytest.fixture
def sqlite_db(tmp_path: Path) -> str:
    return str(tmp_path / "room.db")


def plain(value: Any) -> Any:
    return value["value"] if isinstance(value, dict) else value


def korea_numbers(party: str, walk_away: float = 0.0) -> dict[str, Any]:
    """korea-2017's stances and trust row of ``party``, as the party's submission."""
    s = detente.load("korea-2017").to_dict()
    stances = {issue: {"position": plain(st["position"]), "salience": plain(st["salience"])}
               for issue, st in s["stances"][party].items()}
    trust = {other: plain(v) for other, v in s.get("trust", {}).get(party, {}).items()}
    return {"stances": stances, "trust": trust, "walk_away": walk_away}


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


#: A small skeleton for tests that open many rooms: three parties, two issues with five
#: options each (25 packages), a guarantor per issue.
SMALL: dict[str, Any] = {
    "id": "small", "title": "Three parties, two issues",
    "issues": [
        {"id": "X", "name": "Issue X", "scale": {"low": 0, "high": 100}, "status_quo": 50,
         "options": [0, 25, 50, 75, 100], "guarantors": ["A"],
         "anchors": {"0": "none", "100": "all"}},
        {"id": "Y", "name": "Issue Y", "scale": {"low": 0, "high": 10}, "status_quo": 5,
         "options": [0, 2.5, 5, 7.5, 10], "guarantors": ["B"]},
    ],
    "actors": [{"id": "A", "name": "Party A", "capability": 3},
               {"id": "B", "name": "Party B", "capability": 2},
               {"id": "C", "name": "Party C", "capability": 1}],
}


def small_numbers(party: str) -> dict[str, Any]:
    """Numbers for SMALL with which a package everyone prefers exists: A wants X low and
    cares about it, B wants Y high, C mildly wants both changes."""
    return {
        "A": {"stances": {"X": {"position": 10, "salience": 0.8},
                          "Y": {"position": 6, "salience": 0.2}}, "trust": {"B": 0.7},
              "walk_away": 0},
        "B": {"stances": {"X": {"position": 40, "salience": 0.3},
                          "Y": {"position": 9, "salience": 0.7}}, "trust": {"A": 0.6},
              "walk_away": 0},
        "C": {"stances": {"X": {"position": 30, "salience": 0.5},
                          "Y": {"position": 8, "salience": 0.5}}, "trust": {"A": 0.9, "B": 0.9},
              "walk_away": 0},
    }[party]
