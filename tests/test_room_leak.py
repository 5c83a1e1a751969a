"""No response to anyone but party A ever contains a number that only A entered.

Random rooms: party A enters numbers with four decimals (positions, saliences, trust, the
walk-away point; a bad submission and a revision too), parties B and C numbers with at most
two. Then B, the mediator, a stranger without a token and the owner of another room call
every endpoint, including failing ones (bad input, stale rounds, roles they lack) and the
exports, and every body and header they receive is searched for A's numbers (as JSON
writes them and rounded to three decimals). Gains are shown with two decimals, so a match
can only be a leak.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("sqlalchemy", reason="the room extra (SQLAlchemy) is not installed")
pytest.importorskip("fastapi", reason="the web extra (FastAPI) is not installed")

from fastapi.testclient import TestClient

from detente.room.api import RateLimiter, create_room_app
from tests.room_helpers import SMALL, bearer, small_numbers


def four_decimals(low: int, high: int) -> st.SearchStrategy[float]:
    """n / 10⁴ with a non-zero fourth decimal: never equal to a number with fewer."""
    return st.integers(low, high).filter(lambda n: n % 10 != 0).map(lambda n: n / 10_000)


def two_decimals(low: int, high: int) -> st.SearchStrategy[float]:
    return st.integers(low, high).map(lambda n: n / 100)


@st.composite
def party_a(draw: st.DrawFn) -> dict[str, Any]:
    return {"stances": {"X": {"position": draw(four_decimals(5_000, 995_000)),
                              "salience": draw(four_decimals(1_001, 9_999))},
                        "Y": {"position": draw(four_decimals(500, 99_500)),
                              "salience": draw(four_decimals(1_001, 9_999))}},
            "trust": {"B": draw(four_decimals(1_001, 9_999)),
                      "C": draw(four_decimals(1_001, 9_999))},
            "walk_away": draw(st.one_of(four_decimals(1, 9_999),
                                        four_decimals(900_001, 999_999)))}


@st.composite
def other_party(draw: st.DrawFn, me: str) -> dict[str, Any]:
    numbers = small_numbers(me)
    numbers["stances"]["X"]["position"] = draw(two_decimals(0, 10_000))
    numbers["stances"]["Y"]["salience"] = draw(two_decimals(10, 100))
    numbers["walk_away"] = draw(two_decimals(0, 200))
    return numbers


def secrets_of(numbers: dict[str, Any]) -> set[float]:
    found: set[float] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, float):
            found.add(node)

    walk(numbers)
    return found


def patterns(values: set[float]) -> list[re.Pattern[str]]:
    forms = set()
    for v in values:
        forms.add(json.dumps(v))
        forms.add(f"{v:.3f}")
    return [re.compile(r"(?<![\d.])" + re.escape(f) + r"(?!\d)") for f in forms]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = str(Path(tmp_path_factory.mktemp("leak")) / "room.db")
    test_client = TestClient(create_room_app(db, openings=RateLimiter(10_000, 3600),
                                             submissions=RateLimiter(10_000, 60)))
    yield test_client
    test_client.app.state.room_service.close()


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(a=party_a(), a_revised=st.one_of(st.none(), party_a()), b=other_party("B"),
       c=other_party("C"), bad_salience=four_decimals(10_001, 99_999),
       objective=st.sampled_from(["nash", "maxmin"]), a_low=four_decimals(1_001, 450_000))
def test_nothing_party_a_entered_reaches_anyone_else(
        client: TestClient, a: dict[str, Any], a_revised: dict[str, Any] | None,
        b: dict[str, Any], c: dict[str, Any], bad_salience: float, objective: str,
        a_low: float) -> None:
    room = client.post("/api/rooms", json={"scenario": SMALL,
                                           "options": {"objective": objective}}).json()
    other = client.post("/api/rooms", json={"scenario": SMALL}).json()
    rid = room["room"]
    base = f"/api/rooms/{rid}"
    token = room["parties"]
    seen: list[str] = []  # everything B, the owner and strangers receive

    def observe(method: str, path: str, who: str | None, body: Any = None) -> Any:
        headers = bearer(who) if who else {}
        answer = client.request(method, path, json=body, headers=headers)
        seen.append(answer.text + json.dumps(dict(answer.headers)))
        assert answer.status_code < 500, answer.text
        return answer

    # A makes a mistake (its error message echoes A's number: to A alone), then submits.
    bad = json.loads(json.dumps(a))
    bad["stances"]["X"]["salience"] = bad_salience
    own_error = client.post(f"{base}/submission", json=bad, headers=bearer(token["A"]))
    assert own_error.status_code == 422 and json.dumps(bad_salience) in own_error.text
    assert client.post(f"{base}/submission", json=a, headers=bearer(token["A"])).status_code \
        == 200
    for who, numbers in (("B", b), ("C", c)):
        observe("POST", f"{base}/submission", token[who], numbers)
    if a_revised is not None:
        assert client.post(f"{base}/submission", json=a_revised,
                           headers=bearer(token["A"])).status_code == 200
    # A's blind offer (never crossing C's, so the room stays open), wide enough to hold one
    # of X's options (every 25), as a bid must.
    a_bid = {"ranges": {"X": [a_low, a_low + 50.5], "Y": [0, 10]}}
    assert client.post(f"{base}/bid", json=a_bid, headers=bearer(token["A"])).status_code \
        == 200
    observe("POST", f"{base}/bid", token["C"], {"ranges": {"X": [99.5, 100], "Y": [0, 10]}})
    status_a = client.get(base, headers=bearer(token["A"])).json()
    round_now = status_a["room"]["round"]

    for who in (token["B"], room["owner_token"], None, "not-a-token", other["owner_token"],
                token["C"]):
        observe("GET", base, who)
        observe("GET", f"{base}/export", who)
        observe("GET", f"{base}/pooled.yaml", who)
        observe("POST", f"{base}/response", who, {"round": round_now + 5, "answer": "accept"})
        observe("POST", f"{base}/submission", who,
                {"stances": {"X": {"position": 1e9, "salience": 0.5}}})
        observe("POST", f"{base}/propose", who, {"objective": "maxmin"})
        observe("POST", f"{base}/bid", who, {"ranges": {"X": [1e9, 0]}})
    observe("GET", f"/room/{rid}", None)
    observe("POST", f"{base}/response", token["B"], {"round": round_now, "answer": "reject"})
    observe("GET", f"{base}/export", room["owner_token"])
    observe("GET", f"{base}/export", token["B"])

    entered = secrets_of(a) | {bad_salience, a_low, a_low + 50.5} | secrets_of(a_revised or {})
    text = "\n".join(seen)
    leaks = [p.pattern for p in patterns(entered) if p.search(text)]
    assert not leaks, f"A's numbers reached someone else: {leaks}"
    # Gains: B sees only its own; the owner and strangers see none.
    status_b = client.get(base, headers=bearer(token["B"])).json()
    owner_view = json.dumps(client.get(base, headers=bearer(room["owner_token"])).json())
    assert "gain" not in owner_view
    if status_a["proposal"] and status_a["proposal"]["zone_exists"]:
        assert set(status_b["proposal"]) >= {"my_gain"}
        assert "gains" not in json.dumps(status_b)
