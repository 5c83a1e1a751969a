"""Authorization: every endpoint of the room's API against every role.

Roles: the owner, party A, party B, no token, a token of another room (its owner's), a
party whose room has expired, a party whose link was revoked. Each cell opens fresh rooms,
so no cell depends on what another did.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("sqlalchemy", reason="the room extra (SQLAlchemy) is not installed")
pytest.importorskip("fastapi", reason="the web extra (FastAPI) is not installed")

from fastapi.testclient import TestClient

from detente.room.api import RateLimiter, create_room_app
from tests.room_helpers import SMALL, bearer, small_numbers

ROLES = ("owner", "A", "B", "none", "wrong-room", "expired", "revoked")
#: endpoint -> (method, path suffix, body)
ENDPOINTS: dict[str, tuple[str, str, Any]] = {
    "status": ("GET", "", None),
    "submission": ("POST", "/submission", "numbers"),
    "response": ("POST", "/response", {"round": 1, "answer": "accept"}),
    "bid": ("POST", "/bid", {"ranges": {"X": [0, 100], "Y": [0, 10]}}),
    "propose": ("POST", "/propose", {"objective": "maxmin"}),
    "revoke": ("POST", "/revoke", {"party": "B"}),
    "reissue": ("POST", "/reissue", {"party": "B"}),
    "close": ("POST", "/close", None),
    "export": ("GET", "/export", None),
    "pooled": ("GET", "/pooled.yaml", None),
}
PARTY = {"status": 200, "submission": 200, "response": 200, "bid": 200, "propose": 403,
         "revoke": 403, "reissue": 403, "close": 403, "export": 200, "pooled": 403}
EXPECTED: dict[str, dict[str, int]] = {
    "owner": {"status": 200, "submission": 403, "response": 403, "bid": 403, "propose": 200,
              "revoke": 200, "reissue": 200, "close": 200, "export": 200, "pooled": 409},
    "A": PARTY,
    "B": PARTY,
    "none": dict.fromkeys(ENDPOINTS, 401),
    "wrong-room": dict.fromkeys(ENDPOINTS, 404),
    "expired": dict.fromkeys(ENDPOINTS, 410),
    "revoked": dict.fromkeys(ENDPOINTS, 403),
}


class Clock:
    def __init__(self) -> None:
        self.shift = dt.timedelta(0)

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.shift


@pytest.fixture(scope="module")
def clients(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient,
                                                                        TestClient]]:
    """Two servers on one database: now, and sixty days later (every room expired)."""
    db = str(Path(tmp_path_factory.mktemp("auth")) / "room.db")
    later = Clock()
    later.shift = dt.timedelta(days=60)
    # Each cell opens rooms: more than the default limit of openings per client.
    now_client = TestClient(create_room_app(db, openings=RateLimiter(10_000, 3600)))
    later_client = TestClient(create_room_app(db, now=later))
    yield now_client, later_client
    for client in (now_client, later_client):
        client.app.state.room_service.close()


def _room(client: TestClient) -> dict[str, Any]:
    opened = client.post("/api/rooms", json={"scenario": SMALL}).json()
    for party in "ABC":
        answer = client.post(f"/api/rooms/{opened['room']}/submission",
                             json=small_numbers(party), headers=bearer(opened["parties"][party]))
        assert answer.status_code == 200, answer.text
    assert client.post(f"/api/rooms/{opened['room']}/revoke", json={"party": "C"},
                       headers=bearer(opened["owner_token"])).status_code == 200
    return opened


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("role", ROLES)
def test_every_endpoint_for_every_role(clients: tuple[TestClient, TestClient], role: str,
                                       endpoint: str) -> None:
    now_client, later_client = clients
    room = _room(now_client)
    other = now_client.post("/api/rooms", json={"scenario": SMALL}).json()
    token = {"owner": room["owner_token"], "A": room["parties"]["A"],
             "B": room["parties"]["B"], "none": None, "wrong-room": other["owner_token"],
             "expired": room["parties"]["A"], "revoked": room["parties"]["C"]}[role]
    client = later_client if role == "expired" else now_client
    method, suffix, body = ENDPOINTS[endpoint]
    if body == "numbers":
        body = small_numbers(role if role in ("A", "B") else "A")
    headers = bearer(token) if token else {}
    answer = client.request(method, f"/api/rooms/{room['room']}{suffix}", json=body,
                            headers=headers)
    assert answer.status_code == EXPECTED[role][endpoint], answer.text
    if answer.status_code >= 400:
        problems = answer.json()["problems"]
        assert problems and problems[0]["message"] and problems[0]["fix"]


def test_only_the_owner_of_an_elicitation_room_gets_the_pool(
        clients: tuple[TestClient, TestClient]) -> None:
    client, _ = clients
    opened = client.post("/api/rooms", json={"mode": "elicitation", "scenario": "korea-2017",
                                             "parties": ["E1", "E2"]}).json()
    rid = opened["room"]
    tables = {"stances": {"KP": {"NUC": {"position": 70, "salience": 0.9}}}}
    assert client.post(f"/api/rooms/{rid}/submission", json=tables,
                       headers=bearer(opened["parties"]["E1"])).status_code == 200
    owner = client.get(f"/api/rooms/{rid}/pooled.yaml", headers=bearer(opened["owner_token"]))
    assert owner.status_code == 200 and "korea-2017-pooled" in owner.text
    for token in (opened["parties"]["E1"], opened["parties"]["E2"]):
        assert client.get(f"/api/rooms/{rid}/pooled.yaml",
                          headers=bearer(token)).status_code == 403
    assert client.get(f"/api/rooms/{rid}/pooled.yaml").status_code == 401


@pytest.mark.parametrize("endpoint", [e for e, (m, _, _) in ENDPOINTS.items() if m == "POST"])
def test_state_changes_from_another_site_are_refused(clients: tuple[TestClient, TestClient],
                                                     endpoint: str) -> None:
    client, _ = clients
    room = _room(client)
    _, suffix, body = ENDPOINTS[endpoint]
    if body == "numbers":
        body = small_numbers("A")
    token = room["owner_token"] if endpoint in ("propose", "revoke", "reissue", "close") \
        else room["parties"]["A"]
    url = f"/api/rooms/{room['room']}{suffix}"
    for origin in ("http://evil.example", "null"):
        answer = client.post(url, json=body, headers={**bearer(token), "origin": origin})
        assert answer.status_code == 403, answer.text
        assert answer.json()["problems"][0]["location"] == "Origin"
        # The refusal carries the headers of every other answer (detente.serving.guard).
        assert answer.headers["cache-control"] == "no-store"
    same = client.post(url, json=body, headers={**bearer(token),
                                                "origin": "http://testserver"})
    assert same.status_code == 200, same.text
    opened = client.post("/api/rooms", json={"scenario": SMALL},
                         headers={"origin": "http://evil.example"})
    assert opened.status_code == 403


def test_the_page_holds_no_data_and_a_strict_policy(
        clients: tuple[TestClient, TestClient]) -> None:
    client, _ = clients
    room = _room(client)
    page = client.get(f"/room/{room['room']}")
    assert page.status_code == 200
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "Party" not in page.text and "position" in page.text  # a form, no names or numbers
