"""Fifty parties submit at the same moment to a real server on loopback: nothing is lost,
and the room proposes exactly once. (Bounded: 50 requests, a 25-package space.)"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

pytest.importorskip("sqlalchemy", reason="the room extra (SQLAlchemy) is not installed")
pytest.importorskip("uvicorn", reason="the web extra (uvicorn) is not installed")
httpx = pytest.importorskip("httpx", reason="httpx is not installed")

from detente.room.api import create_room_app  # noqa: E402
from tests.browser_helpers import serving  # noqa: E402
from tests.room_helpers import SMALL, bearer  # noqa: E402

pytest_plugins = ("tests.room_helpers",)  # its fixture: room_db
PARTIES = 50


@pytest.fixture
def server(room_db: str) -> Iterator[str]:
    with serving(create_room_app(room_db, allowed_hosts=["127.0.0.1"]),
                 "the room server") as url:
        yield url


def numbers(k: int) -> dict[str, Any]:
    # Each party's numbers are its own (k in every one), so a mix-up would show.
    return {"stances": {"X": {"position": k, "salience": 0.5 + k / 200},
                        "Y": {"position": (k % 10) + 0.25, "salience": 0.3}},
            "trust": {}, "walk_away": k / 100}


def test_fifty_parties_submitting_at_once_lose_nothing(server: str) -> None:
    skeleton = dict(SMALL, actors=[{"id": f"P{k}", "name": f"Party {k}", "capability": 1}
                                   for k in range(PARTIES)])
    skeleton["issues"] = [{k: v for k, v in i.items() if k != "guarantors"}
                          for i in SMALL["issues"]]
    with httpx.Client(base_url=server, timeout=120) as client:
        opened = client.post("/api/rooms", json={"scenario": skeleton}).json()
    rid, tokens = opened["room"], opened["parties"]
    start = threading.Barrier(PARTIES)

    def submit(k: int) -> tuple[int, int]:
        with httpx.Client(base_url=server, timeout=120) as own:
            start.wait()  # all fifty requests leave together
            answer = own.post(f"/api/rooms/{rid}/submission", json=numbers(k),
                              headers=bearer(tokens[f"P{k}"]))
        return k, answer.status_code

    with ThreadPoolExecutor(PARTIES) as pool:
        codes = dict(pool.map(submit, range(PARTIES)))
    assert codes == dict.fromkeys(range(PARTIES), 200)

    with httpx.Client(base_url=server, timeout=120) as client:
        owner = client.get(f"/api/rooms/{rid}", headers=bearer(opened["owner_token"])).json()
        assert all(p["submitted"] for p in owner["room"]["parties"])
        assert owner["proposal"] is not None and owner["proposal"]["round"] == 1
        record = client.get(f"/api/rooms/{rid}/export",
                            headers=bearer(opened["owner_token"])).json()
        submits = sorted(e["who"] for e in record["audit"] if e["action"] == "submit")
        assert submits == sorted(f"P{k}" for k in range(PARTIES))
        assert [e["action"] for e in record["audit"]].count("propose") == 1
        for k in (0, 17, 49):
            mine = client.get(f"/api/rooms/{rid}", headers=bearer(tokens[f"P{k}"])).json()
            assert mine["me"]["numbers"] == numbers(k)
