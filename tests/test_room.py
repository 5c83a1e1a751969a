"""The negotiation room: proposals against settle, rounds, restart, bad input, elicitation
pooling, the command line, binding rules, rate limits, migrations."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

pytest.importorskip("sqlalchemy", reason="the room extra (SQLAlchemy) is not installed")
pytest.importorskip("fastapi", reason="the web extra (FastAPI) is not installed")

import detente
from detente.errors import DetenteError, ScenarioError
from detente.room.api import RateLimiter, create_room_app
from detente.room.cli import bind_problem
from detente.room.given import BY_FLAGS
from detente.room.service import RoomError, RoomService
from detente.scenario import scenario_from_mapping
from tests.room_helpers import SMALL, bearer, korea_numbers, small_numbers

pytest_plugins = ("tests.room_helpers",)  # its fixtures: room_db, sqlite_db
KOREA_PARTIES = ["US", "CN", "RU", "KP", "KR", "JP"]


def run_room(service: RoomService, scenario: Any, numbers: dict[str, dict[str, Any]],
             options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
    opened = service.open_room("mediation", scenario, list(numbers), options)
    status: dict[str, Any] = {}
    for party, payload in numbers.items():
        status = service.submit(service.authenticate(opened.room_id, opened.tokens[party]),
                                payload)
    return opened, status


# --- the proposal is detente's settlement ---------------------------------------------
@pytest.mark.parametrize("objective", ["nash", "maxmin"])
def test_proposal_is_settles_best_package(sqlite_db: str, objective: str) -> None:
    # Every korea-2017 actor enters its own row, walk-away 0: the room must propose exactly
    # the package `detente settle` finds on the full scenario, with the same gains. The
    # room keeps the scenario's package rules and verification regimes, but not what is
    # one actor's own valuation (links, walk-away points, stakes), so settle leaves those
    # out here.
    service = RoomService(sqlite_db)
    _, status = run_room(service, "korea-2017",
                         {p: korea_numbers(p) for p in KOREA_PARTIES},
                         {"step": 25, "objective": objective})
    settled = detente.settle("korea-2017", step=25, ignore=("links", "walk-away", "stakes"))
    best = settled.baseline.best if objective == "nash" else settled.baseline.max_min
    assert best is not None
    proposal = status["proposal"]
    assert proposal["zone_exists"] is True
    assert proposal["package"] == pytest.approx(best.values)
    # The last submitter (JP) sees its own gain, rounded to 2 decimals, and nobody else's.
    assert status["proposal"]["my_gain"] == pytest.approx(best.gains["JP"], abs=0.006)
    assert "gains" not in json.dumps(status)


#: Two parties who both want A at 0 and B at 100, under a rule that A at 40 or lower
#: requires B at 50 or lower: their favourite package breaks the rule.
RULED: dict[str, Any] = {
    "id": "ruled", "title": "A package rule",
    "issues": [{"id": "A", "name": "A", "scale": {"low": 0, "high": 100}, "status_quo": 50},
               {"id": "B", "name": "B", "scale": {"low": 0, "high": 100}, "status_quo": 50}],
    "actors": [{"id": "X", "name": "X", "capability": 1},
               {"id": "Y", "name": "Y", "capability": 1}],
    "stances": {"X": {"A": {"position": 0, "salience": 1}, "B": {"position": 100,
                                                             "salience": 0.5}},
                "Y": {"A": {"position": 0, "salience": 0.5}, "B": {"position": 100,
                                                               "salience": 1}}},
    "rules": [{"when": {"issue": "A", "at_most": 40}, "then": {"issue": "B", "at_most": 50},
               "note": "an analyst's note the parties do not see"}],
}


def test_a_proposal_keeps_the_scenarios_package_rules(sqlite_db: str) -> None:
    # The rule is part of the negotiation, not a party's valuation: the room's proposal must
    # keep it, as `detente settle` does (it proposed A 0, B 100, which the rule forbids).
    numbers = {p: {"stances": RULED["stances"][p], "trust": {}, "walk_away": 0}
               for p in ("X", "Y")}
    service = RoomService(sqlite_db)
    opened, status = run_room(service, scenario_from_mapping(RULED), numbers)
    package = status["proposal"]["package"]
    assert not (package["A"] <= 40 and package["B"] > 50)
    best = detente.settle(scenario_from_mapping(RULED), ignore=("links", "walk-away",
                                                                "stakes")).baseline.best
    assert best is not None
    assert package == pytest.approx(best.values)
    shown = json.dumps(service.status(service.authenticate(opened.room_id,
                                                           opened.tokens["X"])))
    assert "analyst's note" not in shown
    assert json.loads(shown)["scenario"]["rules"] == [
        {k: v for k, v in RULED["rules"][0].items() if k != "note"}]


def test_walk_away_points_are_the_disagreement_point(sqlite_db: str) -> None:
    # Exhaustive reference on the 25 packages of SMALL: each party's gain from each package
    # by `detente settle`'s package analysis, then the best capability-weighted Nash
    # product of surpluses over walk-away among packages every party prefers.
    walk = {"A": 2.0, "B": 9.8, "C": 0.5}
    numbers = {p: dict(small_numbers(p), walk_away=walk[p]) for p in "ABC"}
    service = RoomService(sqlite_db)
    _, status = run_room(service, SMALL, numbers, {"objective": "nash"})

    packages = [{"id": f"P{k}", "name": f"P{k}", "values": {"X": x, "Y": y}}
                for k, (x, y) in enumerate(itertools.product([0, 25, 50, 75, 100],
                                                             [0, 2.5, 5, 7.5, 10]))]
    full = dict(SMALL, stances={p: numbers[p]["stances"] for p in "ABC"},
                trust={p: numbers[p]["trust"] for p in "ABC"}, packages=packages)
    analysed = detente.settle(scenario_from_mapping(full), step=10).baseline.packages
    weights = {"A": 3 / 6, "B": 2 / 6, "C": 1 / 6}
    best, best_score = None, -math.inf
    for p in analysed:
        surplus = {a: p.gains[a] - walk[a] for a in "ABC"}
        if min(surplus.values()) <= 1e-7:
            continue
        score = sum(weights[a] * math.log(surplus[a]) for a in "ABC")
        if score > best_score:
            best, best_score = p, score
    assert best is not None, "the reference finds a package, so the room must too"
    assert status["proposal"]["zone_exists"] is True
    assert status["proposal"]["package"] == pytest.approx(best.values)
    # Without walk-aways the best package differs: the walk-aways did change the answer.
    _, plain_status = run_room(service, SMALL, {p: small_numbers(p) for p in "ABC"})
    assert plain_status["proposal"]["package"] != status["proposal"]["package"]


def test_walk_away_above_any_gain_means_no_package(sqlite_db: str) -> None:
    numbers = {p: small_numbers(p) for p in "ABC"}
    numbers["C"]["walk_away"] = 99
    service = RoomService(sqlite_db)
    opened, status = run_room(service, SMALL, numbers)
    assert status["proposal"]["zone_exists"] is False
    assert status["proposal"]["package"] is None
    with pytest.raises(RoomError) as err:
        service.respond(service.authenticate(opened.room_id, opened.tokens["A"]), 1, "accept")
    assert err.value.status == 409 and "nothing to accept" in str(err.value)


# --- rounds ---------------------------------------------------------------------------
def test_rounds_accept_revise_close_and_export(room_db: str) -> None:
    service = RoomService(room_db)
    opened, _ = run_room(service, SMALL, {p: small_numbers(p) for p in "ABC"})
    who = {p: service.authenticate(opened.room_id, opened.tokens[p]) for p in "ABC"}
    owner = service.authenticate(opened.room_id, opened.owner_token)
    service.respond(who["A"], 1, "accept")
    service.respond(who["B"], 1, "accept")
    assert service.status(owner)["proposal"]["answers"] == {"A": "accept", "B": "accept",
                                                            "C": None}
    revised = small_numbers("C")
    revised["stances"]["Y"]["salience"] = 0.9
    status = service.submit(who["C"], revised)  # a revision opens round 2
    assert status["room"]["round"] == 2 and status["proposal"]["round"] == 2
    assert status["proposal"]["answered"] == 0, "answers start afresh in a new round"
    with pytest.raises(RoomError) as stale:
        service.respond(who["A"], 1, "accept")
    assert stale.value.status == 409
    for p in "ABC":
        status = service.respond(who[p], 2, "accept")
    assert status["room"]["status"] == "closed"
    with pytest.raises(RoomError) as closed:
        service.submit(who["A"], small_numbers("A"))
    assert closed.value.status == 409

    record = service.export(owner)
    assert record["final_package"] == record["proposals"][-1]["package"]
    actions = [(e["who"], e["action"], e["round"]) for e in record["audit"]]
    assert actions == [("owner", "open", 1), ("A", "submit", 1), ("B", "submit", 1),
                       ("C", "submit", 1), ("room", "propose", 1), ("A", "accept", 1),
                       ("B", "accept", 1), ("C", "revise", 2), ("room", "propose", 2),
                       ("A", "accept", 2), ("B", "accept", 2), ("C", "accept", 2),
                       ("room", "close", 2)]
    assert "mine" not in record and "stances" not in json.dumps(record["audit"])
    mine = service.export(who["C"])["mine"]
    assert [m["round"] for m in mine] == [1, 2]
    assert mine[1]["numbers"]["stances"]["Y"]["salience"] == 0.9


def test_owner_can_ask_for_the_max_min_package(sqlite_db: str) -> None:
    service = RoomService(sqlite_db)
    opened, _ = run_room(service, SMALL, {p: small_numbers(p) for p in "ABC"})
    owner = service.authenticate(opened.room_id, opened.owner_token)
    changed = service.propose(owner, "maxmin")
    assert changed["proposal"]["objective"] == "maxmin"
    assert changed["room"]["round"] == 2
    with pytest.raises(detente.DetenteError) as err:
        service.propose(owner, "fairest")
    assert err.value.problems[0].location == "options.objective"


def test_a_restarted_server_resumes_the_room(room_db: str) -> None:
    from fastapi.testclient import TestClient

    first = TestClient(create_room_app(room_db))
    opened = first.post("/api/rooms", json={"scenario": SMALL}).json()
    rid = opened["room"]
    for p in "AB":
        assert first.post(f"/api/rooms/{rid}/submission", json=small_numbers(p),
                          headers=bearer(opened["parties"][p])).status_code == 200
    first.app.state.room_service.close()
    del first  # the server is gone; only the database remains

    second = TestClient(create_room_app(room_db))
    seen = second.get(f"/api/rooms/{rid}", headers=bearer(opened["parties"]["A"])).json()
    assert [p["submitted"] for p in seen["room"]["parties"]] == [True, True, False]
    assert seen["me"]["numbers"] == json.loads(json.dumps(small_numbers("A")))
    done = second.post(f"/api/rooms/{rid}/submission", json=small_numbers("C"),
                       headers=bearer(opened["parties"]["C"])).json()
    assert done["proposal"]["zone_exists"] is True
    second.app.state.room_service.close()


# --- bad input: the loader's own messages ---------------------------------------------
def test_bad_numbers_get_the_loaders_messages(sqlite_db: str) -> None:
    from fastapi.testclient import TestClient

    client = TestClient(create_room_app(sqlite_db))
    opened = client.post("/api/rooms", json={"scenario": "korea-2017",
                                             "parties": ["US", "CN", "KP"]}).json()
    rid, token = opened["room"], opened["parties"]["KP"]
    bad = korea_numbers("KP")
    bad["stances"]["NUC"]["salience"] = 1.7
    bad["stances"]["MSL"]["position"] = 140
    bad["trust"]["RUU"] = 0.5
    bad["trust"]["KP"] = 0.1  # a party's trust in itself: always 1, no input
    answer = client.post(f"/api/rooms/{rid}/submission", json=bad, headers=bearer(token))
    assert answer.status_code == 422
    got = {(p["location"], p["message"], p["fix"]) for p in answer.json()["problems"]}
    # The same numbers in a scenario file: the loader's messages, at the same places.
    full = detente.load("korea-2017").to_dict()
    full["stances"]["KP"]["NUC"]["salience"] = 1.7
    full["stances"]["KP"]["MSL"]["position"] = 140
    full["trust"]["KP"]["RUU"] = 0.5
    full["trust"]["KP"]["KP"] = 0.1
    with pytest.raises(ScenarioError) as loader:
        scenario_from_mapping(full)
    # Placed where the party wrote them (no KP level in its submission); the loader's fix
    # "or widen issues.MSL.scale" is the mediator's, so the party gets the allowed range.
    expected = {(p.location.replace(".KP.", ".", 1).removesuffix(".KP") + (
        ".KP" if p.location == "trust.KP.KP" else ""), p.message, p.fix)
        for p in loader.value.problems if p.location != "stances.KP.MSL.position"}
    expected.add(("stances.MSL.position", "position 140 is outside the scale of MSL (0 to 100)",
                  "give a position from 0 to 100, the scale of MSL in this room"))
    assert got == expected and len(got) == 4
    assert {"trust.KP", "trust.RUU", "stances.NUC.salience"} < {loc for loc, _, _ in got}

    for payload, location in (({**korea_numbers("KP"), "walk_away": -3}, "walk_away"),
                              ({**korea_numbers("KP"), "walkaway": 3}, "walkaway"),
                              ({"stances": {}}, "stances")):
        answer = client.post(f"/api/rooms/{rid}/submission", json=payload,
                             headers=bearer(token))
        assert answer.status_code == 422, payload
        assert location in {p["location"] for p in answer.json()["problems"]}
    answer = client.post(f"/api/rooms/{rid}/submission", content=b'{"walk_away": NaN}',
                         headers={**bearer(token), "content-type": "application/json"})
    assert answer.status_code == 422 and "finite" in answer.text
    answer = client.post(f"/api/rooms/{rid}/submission", content=b"x" * (600 * 1024),
                         headers={**bearer(token), "content-type": "application/json"})
    assert answer.status_code == 413
    # The room's own words: it was told "this workbench" and "--max-upload", a flag that
    # `room serve` lacks.
    assert answer.json()["detail"] == "the request is larger than 512 KiB, the most this " \
        "room accepts"
    assert "workbench" not in answer.text and "--max-upload" not in answer.text
    for body, where in (({"scenario": "korea-2017", "parties": ["US", "XX"]}, "parties[1]"),
                        ({"scenario": "nowhere"}, "scenario"),
                        ({"options": {"step": -1}}, "options.step"),
                        ({"options": {"objective": "best"}}, "options.objective"),
                        ({"options": {"step": 0.01}}, "options.step")):
        answer = client.post("/api/rooms", json=body)
        assert answer.status_code == 422, body
        assert where in {p["location"] for p in answer.json()["problems"]}, answer.json()
    assert "Traceback" not in answer.text
    client.app.state.room_service.close()


def test_a_skeleton_without_stances_is_checked_by_the_loader(sqlite_db: str) -> None:
    # A skeleton has no stances: every loader rule applies but "somebody cares about each
    # issue", and the problems are the loader's own, at the loader's places.
    service = RoomService(sqlite_db)
    broken = json.loads(json.dumps(SMALL))
    broken["issues"][0]["status_quo"] = 500
    broken["issues"][1]["guarantors"] = ["Z"]
    with pytest.raises(ScenarioError) as err:
        service.open_room("mediation", broken)
    # Unknown ids first: one is often the cause of other problems.
    assert [p.location for p in err.value.problems] == ["issues.Y.guarantors",
                                                        "issues.X.status_quo"]
    assert "status quo 500 is outside the scale of X" in err.value.problems[1].message
    assert service.open_room("mediation", SMALL).tokens.keys() == {"A", "B", "C"}


# --- tokens, expiry, revocation, rate limits, binding -----------------------------------
def test_tokens_are_stored_only_as_hashes(sqlite_db: str) -> None:
    service = RoomService(sqlite_db)
    opened = service.open_room("mediation", SMALL)
    raw = Path(sqlite_db).read_bytes() + (Path(sqlite_db + "-wal").read_bytes()
                                          if Path(sqlite_db + "-wal").exists() else b"")
    for token in [opened.owner_token, *opened.tokens.values()]:
        assert len(token) >= 43  # 32 bytes, URL-safe base64
        assert token.encode() not in raw
    assert len(set(opened.tokens.values())) == 3


def test_expiry_revocation_and_reissue(sqlite_db: str) -> None:
    clock = [dt.datetime(2030, 1, 1, tzinfo=dt.UTC)]
    service = RoomService(sqlite_db, now=lambda: clock[0])
    opened = service.open_room("mediation", SMALL, expires_in=dt.timedelta(days=1))
    owner = service.authenticate(opened.room_id, opened.owner_token)
    service.revoke(owner, "B")
    with pytest.raises(RoomError) as revoked:
        service.authenticate(opened.room_id, opened.tokens["B"])
    assert revoked.value.status == 403
    fresh = service.reissue(owner, "B")
    assert service.authenticate(opened.room_id, fresh).label == "B"
    with pytest.raises(RoomError):
        service.authenticate(opened.room_id, opened.tokens["B"])  # the old link stays dead
    clock[0] += dt.timedelta(days=1, seconds=1)
    with pytest.raises(RoomError) as expired:
        service.authenticate(opened.room_id, opened.tokens["A"])
    assert expired.value.status == 410
    with pytest.raises(RoomError) as late:
        service.close_room(service.authenticate(opened.room_id, opened.owner_token))
    assert late.value.status == 410


def test_submissions_are_rate_limited(sqlite_db: str) -> None:
    from fastapi.testclient import TestClient

    now = [0.0]
    client = TestClient(create_room_app(sqlite_db,
                                        submissions=RateLimiter(3, 60, clock=lambda: now[0])))
    opened = client.post("/api/rooms", json={"scenario": SMALL}).json()
    url = f"/api/rooms/{opened['room']}/submission"
    answers = [client.post(url, json=small_numbers("A"),
                           headers=bearer(opened["parties"]["A"])) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[3].headers["retry-after"] == "61"  # the window is 60 s; the clock stood
    assert "too many requests" in answers[3].json()["detail"]
    other = client.post(url, json=small_numbers("B"), headers=bearer(opened["parties"]["B"]))
    assert other.status_code == 200, "the limit is per link"
    now[0] = 61.0
    assert client.post(url, json=small_numbers("A"),
                       headers=bearer(opened["parties"]["A"])).status_code == 200
    client.app.state.room_service.close()


@pytest.mark.parametrize(("host", "expose", "cert", "proxy", "refused_at"), [
    ("127.0.0.1", False, False, None, None),
    ("localhost", False, False, None, None),
    ("::1", False, False, None, None),
    ("0.0.0.0", False, False, None, "--host"),
    ("192.168.1.5", True, False, None, "--expose"),
    ("192.168.1.5", True, True, None, None),
    ("0.0.0.0", True, False, "10.0.0.2", None),
])
def test_binding_beyond_loopback_needs_expose_and_tls(host: str, expose: bool, cert: bool,
                                                      proxy: str | None,
                                                      refused_at: str | None) -> None:
    path = Path("cert.pem") if cert else None
    problem = bind_problem(host, expose, path, path, proxy)
    assert (problem.location if problem else None) == refused_at


def test_serve_refuses_an_exposed_host_without_tls(sqlite_db: str) -> None:
    from detente.cli.common import app

    result = CliRunner().invoke(app, ["room", "serve", "--db", sqlite_db, "--host",
                                      "0.0.0.0", "--expose"])
    assert result.exit_code == 2
    assert "needs TLS" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(app, ["serve", "--db", sqlite_db, "--host", "0.0.0.0"])
    assert result.exit_code == 2 and "loopback only" in result.output


def test_migrations_are_idempotent_and_reach_the_head(room_db: str) -> None:
    from sqlalchemy import inspect, text

    from detente.room.db import SCHEMA_HEAD, make_engine, migrate

    engine = make_engine(room_db)
    migrate(engine)
    migrate(engine)
    with engine.connect() as conn:
        assert conn.execute(text("select version_num from alembic_version")).scalar() == \
            SCHEMA_HEAD
    assert {"room", "party", "submission", "proposal", "gain", "response", "audit"} <= \
        set(inspect(engine).get_table_names())
    engine.dispose()


# --- elicitation ------------------------------------------------------------------------
EXPERT_TABLES = {
    "E1": {"stances": {"KP": {"NUC": {"position": 90, "salience": 1.0}}},
           "trust": {"KP": {"US": 0.05}}},
    "E2": {"stances": {"KP": {"NUC": {"position": 70, "salience": 0.8}},
                       "US": {"SANC": {"position": 10, "salience": 0.6}}},
           "trust": {"KP": {"US": 0.2}}},
    "E3": {"stances": {"KP": {"NUC": {"position": 80, "salience": 0.9}}},
           "trust": {"KP": {"US": 0.1, "CN": 0.5}}},
}


def test_three_experts_pooled_and_sampled(room_db: str, tmp_path: Path) -> None:
    service = RoomService(room_db)
    opened = service.open_room("elicitation", "korea-2017", list(EXPERT_TABLES),
                               weights={"E1": 2.0})
    for label, tables in EXPERT_TABLES.items():
        service.submit(service.authenticate(opened.room_id, opened.tokens[label]), tables)
    owner = service.authenticate(opened.room_id, opened.owner_token)
    pooled = service.pooled(owner)
    nuc = pooled.scenario["stances"]["KP"]["NUC"]["position"]
    # Linear pool, weights 2:1:1 -> mean (2*90 + 70 + 80)/4 = 82.5; sd from the mixture.
    mean = (2 * 90 + 70 + 80) / 4
    sd = math.sqrt((2 * (90 - mean) ** 2 + (70 - mean) ** 2 + (80 - mean) ** 2) / 4)
    assert nuc["value"] == pytest.approx(mean)
    assert nuc["distribution"] == "discrete" and nuc["points"] == [70, 80, 90]
    assert nuc["weights"] == pytest.approx([0.25, 0.25, 0.5])
    (listed,) = [d for d in pooled.disagreement if d["cell"] == "stances.KP.NUC.position"]
    assert listed["sd"] == pytest.approx(sd)
    # One expert's cell keeps that expert's number; a cell nobody filled keeps the analyst's.
    assert pooled.scenario["stances"]["US"]["SANC"]["position"] == 10
    base = detente.load("korea-2017")
    assert pooled.scenario["stances"]["CN"] == base.to_dict()["stances"]["CN"]
    # Where experts disagree most, without names; ranked by spread.
    cells = [d["cell"] for d in pooled.disagreement]
    assert cells[0] == "stances.KP.NUC.position"
    assert all(not any(e in json.dumps(d) for e in EXPERT_TABLES) for d in pooled.disagreement)
    spreads = [d["spread"] for d in pooled.disagreement]
    assert spreads == sorted(spreads, reverse=True)
    # The pooled file runs through `detente sample` and its distributions are used.
    from detente.cli.common import app

    runner = CliRunner()
    target = tmp_path / "pooled.yaml"
    export = runner.invoke(app, ["room", "export", opened.room_id, "--db", room_db,
                                 "--token", opened.owner_token, "--scenario", str(target),
                                 "-o", str(tmp_path / "record.json")])
    assert export.exit_code == 0, export.output
    sampled = runner.invoke(app, ["sample", str(target), "-m", "compromise", "-n", "300",
                                  "--seed", "3", "--workers", "1", "-f", "json"])
    assert sampled.exit_code == 0, sampled.output
    out = json.loads(sampled.stdout)
    assert out["samples"] == 300 and out["noise"] in ({}, None), out.get("noise")
    assert detente.load(target).stances["KP"]["NUC"].position.points == [70, 80, 90]
    record = json.loads((tmp_path / "record.json").read_text())
    assert record["pooled"]["experts"] == 3
    assert [e["action"] for e in record["audit"]] == ["open", "submit", "submit", "submit"]


def test_an_expert_may_give_a_position_without_a_salience(sqlite_db: str) -> None:
    """docs/room.md: an expert fills any subset of the cells. A position alone is merged onto
    the scenario's stance, and the salience it leaves out is not a judgement in the pool."""
    service = RoomService(sqlite_db)
    opened = service.open_room("elicitation", "korea-2017", ["E1", "E2"])
    analysts = detente.load("korea-2017").to_dict()["stances"]["KP"]["NUC"]
    service.submit(service.authenticate(opened.room_id, opened.tokens["E1"]),
                   {"stances": {"KP": {"NUC": {"position": 60}}}})
    service.submit(service.authenticate(opened.room_id, opened.tokens["E2"]),
                   {"stances": {"KP": {"NUC": {"position": 80, "salience": 0.5}}}})
    pooled = service.pooled(service.authenticate(opened.room_id, opened.owner_token))
    nuc = pooled.scenario["stances"]["KP"]["NUC"]
    assert nuc["position"]["points"] == [60, 80]
    assert nuc["position"]["note"] == "linear opinion pool of 2 experts"
    # Only E2 gave a salience: the pool of that cell is E2's number, neither the analyst's
    # nor a second expert's.
    assert analysts["salience"] != 0.5
    assert nuc["salience"] == 0.5
    cells = {d["cell"]: d["experts"] for d in pooled.disagreement}
    assert cells == {"stances.KP.NUC.position": 2}


def test_an_expert_cannot_see_the_pool_or_others(sqlite_db: str) -> None:
    service = RoomService(sqlite_db)
    opened = service.open_room("elicitation", "korea-2017", ["E1", "E2"])
    e1 = service.authenticate(opened.room_id, opened.tokens["E1"])
    service.submit(e1, EXPERT_TABLES["E1"])
    e2 = service.authenticate(opened.room_id, opened.tokens["E2"])
    with pytest.raises(RoomError) as err:
        service.pooled(e2)
    assert err.value.status == 403
    assert service.status(e2)["me"]["numbers"] is None
    assert "pooled" not in service.export(e2)
    bad = {"stances": {"KP": {"NUC": {"position": 120, "salience": 0.5}}}}
    with pytest.raises(ScenarioError) as invalid:
        service.submit(e2, bad)
    assert invalid.value.problems[0].location == "stances.KP.NUC.position"


# --- the command line: a three-party room on korea-2017 -------------------------------
def test_a_mediator_runs_a_three_party_room_from_the_command_line(tmp_path: Path) -> None:
    from detente.cli.common import app

    db = str(tmp_path / "room.db")
    runner = CliRunner()
    opened = runner.invoke(app, ["room", "open", "korea-2017", "--db", db, "--party", "US",
                                 "--party", "CN", "--party", "KP", "-O", "step=25", "--json"])
    assert opened.exit_code == 0, opened.output
    room = json.loads(opened.stdout)
    rid = room["room"]
    # Hex only: an id that starts with '-' would read as an option on the command line.
    assert re.fullmatch(r"[0-9a-f]{18}", rid), rid
    for party in ("US", "CN", "KP"):
        path = tmp_path / f"{party}.json"
        path.write_text(json.dumps(korea_numbers(party)))
        result = runner.invoke(app, ["room", "submit", rid, str(path), "--db", db],
                               env={"DETENTE_ROOM_TOKEN": room["parties"][party]})
        assert result.exit_code == 0, result.output
    status = json.loads(runner.invoke(app, ["room", "status", rid, "--db", db, "--token",
                                            room["owner_token"]]).stdout)
    proposal = status["proposal"]
    assert proposal["zone_exists"] is True and set(proposal["package"]) == set(
        detente.load("korea-2017").issue_ids)
    for party in ("US", "CN", "KP"):
        result = runner.invoke(app, ["room", "respond", rid, "accept", "--round", "1",
                                     "--db", db, "--token", room["parties"][party]])
        assert result.exit_code == 0, result.output
    out = tmp_path / "record.json"
    result = runner.invoke(app, ["room", "export", rid, "--db", db, "--token",
                                 room["owner_token"], "-o", str(out)])
    assert result.exit_code == 0, result.output
    record = json.loads(out.read_text())
    assert record["room"]["status"] == "closed"
    assert record["final_package"] == proposal["package"]
    # A wrong token: a clear message and exit 2, no traceback.
    result = runner.invoke(app, ["room", "status", rid, "--db", db, "--token", "nope"])
    assert result.exit_code == 2 and "no room with this id" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("stances:\n  NUC: {position: 50, salience: 3}\n")
    result = runner.invoke(app, ["room", "submit", rid, str(bad), "--db", db, "--token",
                                 room["parties"]["US"]])
    assert result.exit_code == 2 and "salience 3 is outside 0-1" in result.output
    # Every problem at once, each named by the party's file: a bad walk-away point hid the
    # salience, and the rest read '<submission>', a file nobody wrote.
    bad.write_text("stances:\n  NUC: {position: 50, salience: 3}\nwalk_away: -3\n")
    result = runner.invoke(app, ["room", "submit", rid, str(bad), "--db", db, "--token",
                                 room["parties"]["US"]])
    assert result.exit_code == 2, result.output
    assert "salience 3 is outside 0-1" in result.output and "walk_away" in result.output
    assert "<submission>" not in result.output and f"{bad}:3: walk_away" in result.output


def test_the_workbench_serves_the_room_with_db(sqlite_db: str) -> None:
    from fastapi.testclient import TestClient

    from detente.web.app import create_app

    client = TestClient(create_app(room_db=sqlite_db))
    opened = client.post("/api/rooms", json={"scenario": SMALL})
    assert opened.status_code == 201
    rid = opened.json()["room"]
    answer = client.post(f"/api/rooms/{rid}/submission", json=small_numbers("A"),
                         headers=bearer(opened.json()["parties"]["A"]))
    assert answer.status_code == 200 and answer.json()["me"]["label"] == "A"
    assert client.post(f"/api/rooms/{rid}/close", headers={
        **bearer(opened.json()["owner_token"]), "origin": "http://evil.example"}
    ).status_code == 403, "the workbench's own Origin guard covers the room"
    assert client.get(f"/room/{rid}").status_code == 200
    assert client.get("/room-static/room.js").status_code == 200
    client.app.state.room_service.close()


# --- blind bidding ----------------------------------------------------------------------
def test_blind_bids_close_the_room_when_they_cross(room_db: str) -> None:
    service = RoomService(room_db)
    opened = service.open_room("mediation", SMALL)
    who = {p: service.authenticate(opened.room_id, opened.tokens[p]) for p in "ABC"}
    owner = service.authenticate(opened.room_id, opened.owner_token)
    bids = {"A": {"X": [0, 40], "Y": [2, 8]}, "B": {"X": [25, 70], "Y": [6, 10]},
            "C": {"X": [20, 100], "Y": [0, 10]}}
    service.bid(who["A"], {"ranges": bids["A"]})
    service.bid(who["B"], {"ranges": {"X": [45, 70], "Y": [6, 10]}})  # B starts too high
    status = service.bid(who["C"], {"ranges": bids["C"]})
    assert status["room"]["status"] == "open", "X: A's [0, 40] and B's [45, 70] do not cross"
    assert status["me"]["bid"] == bids["C"]
    for view in (service.status(who["A"]), service.status(owner), service.export(owner)):
        assert "[45.0, 70.0]" not in json.dumps(view), "nobody sees another's bid"
        assert "[45, 70]" not in json.dumps(view)
    assert "[45.0, 70.0]" in json.dumps(service.status(who["B"])), "B sees its own bid"
    assert [p["bid"] for p in service.status(owner)["room"]["parties"]] == [True] * 3
    status = service.bid(who["B"], {"ranges": bids["B"]})  # B concedes: now they cross
    assert status["room"]["status"] == "closed"
    # The rule: on each issue, the option nearest the midpoint of the overlap of every
    # party's range (X: [25, 40] holds the option 25 alone; Y: 7.5 is nearest 7).
    expected = {"X": 25, "Y": 7.5}
    assert status["proposal"]["package"] == expected
    assert status["proposal"]["objective"] == "bids"
    record = service.export(owner)
    assert record["final_package"] == expected
    assert [e["action"] for e in record["audit"]][-2:] == ["bid", "close: bids cross"]
    with pytest.raises(RoomError) as closed:
        service.bid(who["A"], {"ranges": bids["A"]})
    assert closed.value.status == 409


KOREA_ISSUES = ("NUC", "MSL", "SANC", "SEC", "VER", "ALL", "NORM", "LINK")


def korea_bid(**ranges: list[float]) -> dict[str, Any]:
    return {"ranges": {issue: ranges.get(issue, [0, 100]) for issue in KOREA_ISSUES}}


def test_blind_bids_close_only_on_a_package_the_rules_allow(sqlite_db: str) -> None:
    # korea-2017's rules: "VER ≤ 65 requires NUC ≤ 50", "SANC ≥ 50 requires MSL ≤ 55".
    service = RoomService(sqlite_db)

    def room() -> dict[str, Any]:
        opened = service.open_room("mediation", "korea-2017", ["US", "CN"])
        return {p: service.authenticate(opened.room_id, opened.tokens[p]) for p in ("US", "CN")}

    # A bid no package could close on, whoever else bids: refused, from its own ranges.
    who = room()
    with pytest.raises(ScenarioError) as err:
        service.bid(who["US"], korea_bid(NUC=[80, 80], VER=[50, 50], SANC=[60, 60],
                                         MSL=[100, 100]))
    assert [(p.location, p.message, p.fix) for p in err.value.problems] == [
        ("ranges.NUC", 'no package inside your ranges (VER [50, 50], NUC [80, 80]) keeps '
         'the package rule "VER ≤ 65 requires NUC ≤ 50"',
         "widen ranges.NUC to include a value ≤ 50, or ranges.VER to include one above 65"),
        ("ranges.MSL", 'no package inside your ranges (SANC [60, 60], MSL [100, 100]) keeps '
         'the package rule "SANC ≥ 50 requires MSL ≤ 55"',
         "widen ranges.MSL to include a value ≤ 55, or ranges.SANC to include one below 50")]
    status = service.bid(who["CN"], korea_bid())
    assert status["room"]["status"] == "open", "the refused bid was not taken"

    # The overlaps' midpoints (NUC 70 with VER 50; MSL 75 with SANC 60) break both rules:
    # the room closes on the package nearest them that keeps every rule.
    who = room()
    service.bid(who["US"], korea_bid(VER=[50, 50], SANC=[60, 60]))
    status = service.bid(who["CN"], korea_bid(NUC=[40, 100], MSL=[50, 100]))
    assert status["room"]["status"] == "closed"
    assert status["proposal"]["package"] == {"NUC": 50, "MSL": 55, "SANC": 60, "SEC": 50,
                                             "VER": 50, "ALL": 50, "NORM": 50, "LINK": 50}

    # Overlaps that hold no such package: the room stays open and says nothing of why
    # (it would tell each of the other's ranges).
    who = room()
    service.bid(who["US"], korea_bid(VER=[50, 50]))
    status = service.bid(who["CN"], korea_bid(NUC=[60, 100]))
    assert status["room"]["status"] == "open" and status["proposal"] is None
    assert "VER" not in json.dumps(status["room"]) and "rule" not in json.dumps(status["room"])


def test_bad_bids_are_refused_by_place(sqlite_db: str) -> None:
    service = RoomService(sqlite_db)
    opened = service.open_room("mediation", SMALL)
    a = service.authenticate(opened.room_id, opened.tokens["A"])
    with pytest.raises(ScenarioError) as err:
        service.bid(a, {"ranges": {"X": [60, 40], "Z": [0, 1]}})
    assert {p.location for p in err.value.problems} == {"ranges.X", "ranges.Y", "ranges.Z"}
    with pytest.raises(ScenarioError) as scale:
        service.bid(a, {"ranges": {"X": [0, 40], "Y": [0, 11]}})
    assert "inside the scale of Y (0 to 10)" in scale.value.problems[0].message
    with pytest.raises(ScenarioError) as no_option:  # no package could close on it
        service.bid(a, {"ranges": {"X": [30, 40], "Y": [0, 10]}})
    (problem,) = no_option.value.problems
    assert (problem.location, problem.message, problem.fix) == (
        "ranges.X", "no option of X lies in [30, 40]",
        "include one of its options: 0, 25, 50, 75, 100")
    with pytest.raises(RoomError) as owner_bid:
        service.bid(service.authenticate(opened.room_id, opened.owner_token),
                    {"ranges": {"X": [0, 40], "Y": [0, 10]}})
    assert owner_bid.value.status == 403


@pytest.mark.parametrize("method", ["milp", "bnb"])
def test_issues_no_party_cares_about_stay_put_whatever_the_method(method: str) -> None:
    from detente.room import mediation

    skeleton = mediation.skeleton(detente.load("korea-2017"), ["US", "CN", "KP"])
    numbers = {
        "US": {"stances": {"NUC": {"position": 0, "salience": .95}}, "trust": {},
               "walk_away": 3},
        "CN": {"stances": {"NUC": {"position": 40, "salience": .5},
                           "SANC": {"position": 60, "salience": .8}}, "trust": {},
               "walk_away": 0},
        "KP": {"stances": {"NUC": {"position": 100, "salience": .9},
                           "SANC": {"position": 100, "salience": .8}}, "trust": {},
               "walk_away": 0}}
    proposal = mediation.propose(
        mediation.assemble(skeleton, numbers), {p: n["walk_away"] for p, n in numbers.items()},
        dict(mediation.check_options({"step": 10}), method=method))
    # Nobody holds a stance on MSL, SEC, VER, ALL, NORM or LINK: each stays at its status
    # quo (the MILP put SEC, ALL, NORM and LINK at 100, VER at 90; branch and bound VER at
    # 30, ALL at 40), except MSL, which "SANC ≥ 50 requires MSL ≤ 55" moves from 85 to the
    # nearest grid value that keeps the rule.
    assert proposal.package == {"NUC": 50, "MSL": 50, "SANC": 80, "SEC": 20, "VER": 100,
                                "ALL": 20, "NORM": 20, "LINK": 55}
    assert proposal.gains == {"US": 47.25, "CN": 10.48, "KP": 9.13}


def test_a_room_the_search_would_refuse_is_refused_when_it_opens(sqlite_db: str) -> None:
    from detente.errors import OptionError

    service = RoomService(sqlite_db)
    # korea-2017 at the default step: 12 slots on each of 8 issues, 3.9e8 packages, which
    # brute force refuses; the room took it and could then never propose.
    with pytest.raises(OptionError) as err:
        service.open_room("mediation", "korea-2017", ["US", "CN"], {"method": "brute"},
                          given=BY_FLAGS)
    (problem,) = err.value.problems
    assert problem.location == "options.method"
    assert "brute force would evaluate 3.94e+08 packages" in problem.message
    assert problem.fix == "use -O method=bnb (exact and usually far faster), or a coarser " \
        "-O step", "the room's own options, not settle's --max-packages or --fix"
    with pytest.raises(OptionError) as err:  # over HTTP: the body's fields
        service.open_room("mediation", "korea-2017", ["US", "CN"], {"method": "brute"})
    assert err.value.problems[0].fix.startswith('use "options": {"method": "bnb"}')
    service.open_room("mediation", "korea-2017", ["US", "CN"],
                      {"method": "brute", "step": "25%"})  # 6^8 packages: within the limit


def test_a_search_refused_at_proposal_keeps_the_last_submission(
        sqlite_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from detente.errors import OptionError
    from detente.room import mediation

    # A room opened before the search's limits were checked at opening.
    monkeypatch.setattr(mediation, "check_search", lambda *_: None, raising=False)
    service = RoomService(sqlite_db)
    opened = service.open_room("mediation", "korea-2017", ["US", "CN"], {"method": "brute"})
    numbers = {"stances": {"NUC": {"position": 10, "salience": 0.5}}, "walk_away": 0}
    for party in ("US", "CN"):
        status = service.submit(service.authenticate(opened.room_id, opened.tokens[party]),
                                numbers)
    assert [p["submitted"] for p in status["room"]["parties"]] == [True, True]
    assert status["proposal"] is None
    owner = service.authenticate(opened.room_id, opened.owner_token)
    with pytest.raises(OptionError) as err:
        service.propose(owner)
    (problem,) = err.value.problems
    assert problem.location == "options.method"
    # Whoever opens the next room, CLI or HTTP: the options named plainly.
    assert problem.fix.startswith("open a new room with the option method bnb")


def test_an_old_database_is_upgraded_in_place(room_db: str) -> None:
    from sqlalchemy import inspect

    from detente.room.db import make_engine, migrate

    engine = make_engine(room_db)
    migrate(engine, "0001")  # a database made before blind bidding existed
    assert "bid" not in inspect(engine).get_table_names()
    engine.dispose()
    service = RoomService(room_db)  # starting the room upgrades it
    assert "bid" in inspect(service.engine).get_table_names()
    opened = service.open_room("mediation", SMALL)
    service.bid(service.authenticate(opened.room_id, opened.tokens["A"]),
                {"ranges": {"X": [0, 40], "Y": [0, 10]}})


def test_the_skeleton_keeps_the_negotiations_mechanisms_not_an_actors_valuation() -> None:
    # korea-2017 declares verification, links, rules, walk-away points and stakes (issue
    # 16). Rules and verification belong to the negotiation and go in, without the
    # analyst's notes; links, walk-away points and stakes are one actor's valuation, which
    # a party enters itself (its walk-away point) or not at all.
    from detente.room.mediation import load_skeleton, skeleton
    from detente.scenario import compile_mechanisms

    korea = detente.load("korea-2017")
    assert not compile_mechanisms(korea).is_empty
    mapping = skeleton(korea, ["US", "KP"])
    assert [r["when"] for r in mapping["rules"]] == [r.when.model_dump(exclude_none=True)
                                                    for r in korea.rules]
    assert any("verifies" in issue for issue in mapping["issues"])
    assert "note" not in json.dumps([mapping["rules"], [i.get("verifies")
                                                        for i in mapping["issues"]]])
    assert not {"links", "stakes"} & set(mapping)
    assert all("walk_away" not in actor for actor in mapping["actors"])
    assert not compile_mechanisms(load_skeleton(mapping)).is_empty


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_json_nan_and_infinity_are_refused_as_not_finite_where_a_room_opens(
        sqlite_db: str, number: str) -> None:
    # Python's JSON reader accepts NaN and Infinity (the workbench once read them as "not
    # given"): each typed number of the request says it is not finite, at its place.
    from fastapi.testclient import TestClient

    client = TestClient(create_room_app(sqlite_db))
    experts = '"scenario": "korea-2017", "mode": "elicitation", "parties": ["E1", "E2"]'
    for body, where in ((f'{{{experts}, "weights": {{"E1": {number}}}}}', "weights.E1"),
                        (f'{{{experts}, "expires_days": {number}}}', "expires_days"),
                        (f'{{"options": {{"step": {number}}}}}', "options.step"),
                        (f'{{"options": {{"correlation": {number}}}}}', "options.correlation")):
        answer = client.post("/api/rooms", content=body.encode(),
                             headers={"content-type": "application/json"})
        assert answer.status_code == 422, body
        problem = answer.json()["problems"][0]
        assert problem["location"].endswith(where) and "finite" in problem["message"], problem
    fine = client.post("/api/rooms", json={"scenario": "korea-2017", "mode": "elicitation",
                                           "parties": ["E1", "E2"], "weights": {"E1": 2}})
    assert fine.status_code == 201, fine.text
    client.app.state.room_service.close()


@pytest.mark.parametrize(("weights", "words"), [
    ({"E1": float("nan")}, "finite number above 0 and below 1,000,000, got nan"),
    ({"E1": math.inf}, "got inf"), ({"E1": 0}, "got 0"), ({"E1": True}, "got True"),
    ({"E9": 1.0}, "'E9' is not one of the experts")])
def test_the_service_names_what_is_wrong_with_a_pool_weight(
        sqlite_db: str, weights: dict[str, Any], words: str) -> None:
    # A caller of the service (the command line reads --weight itself) may pass any number.
    service = RoomService(sqlite_db)
    try:
        with pytest.raises(DetenteError) as err:
            service.open_room("elicitation", "korea-2017", ["E1", "E2"], weights=weights)
        problem = err.value.problems[0]
        assert problem.location == f"weights.{next(iter(weights))}" and words in problem.message
    finally:
        service.close()


def test_an_elicitation_rooms_refusals_name_what_each_caller_sends(sqlite_db: str,
                                                                   tmp_path: Path) -> None:
    # Over HTTP they said "e.g. --expert E1 --expert E2" and "e.g. --weight E1=2": flags of
    # `detente room open`, which a request cannot send; it sends the fields parties and
    # weights. The command line keeps its flags.
    from fastapi.testclient import TestClient

    from detente.cli.common import app

    client = TestClient(create_room_app(sqlite_db))
    for body, place, fix in (
            ({"parties": ["E1", "E1"]}, "parties", 'e.g. "parties": ["E1", "E2"]'),
            ({"parties": ["E1"], "weights": {"E1": 0}}, "weights.E1",
             'e.g. "weights": {"E1": 2} (weights are relative)')):
        answer = client.post("/api/rooms", json={"mode": "elicitation", **body})
        assert answer.status_code == 422, answer.text
        assert [(p["location"], p["fix"]) for p in answer.json()["problems"]] == [(place, fix)]
    client.app.state.room_service.close()
    for words, fix in ((["--expert", "E1", "--expert", "E1"], "e.g. --expert E1 --expert E2"),
                       (["--expert", "E1", "--weight", "E1=0"],
                        "e.g. --weight E1=2 (weights are relative)")):
        result = CliRunner().invoke(app, ["room", "open", "korea-2017", "--db",
                                          str(tmp_path / "cli.db"), *words])
        assert result.exit_code == 2, result.output
        assert f"fix: {fix}" in result.stderr


def test_refusals_of_experts_and_weights_are_located_where_each_caller_wrote_them(
        sqlite_db: str, tmp_path: Path) -> None:
    # The command line was told "weights.E1", "weights.E3" and "parties": fields of the
    # HTTP body, which `detente room open` has no way to send.
    from fastapi.testclient import TestClient

    from detente.cli.common import app

    long_label = "E" * 100
    many = [f"E{i}" for i in range(201)]
    # (request body, its refusal's location, the flags, their refusal's location)
    cases: list[tuple[dict[str, Any], str, list[str], str]] = [
        ({"parties": ["E1", "E2"], "weights": {"E1": 0}}, "weights.E1",
         ["--expert", "E1", "--expert", "E2", "--weight", "E1=0"], "--weight"),
        ({"parties": ["E1", "E2"], "weights": {"E3": 2}}, "weights.E3",
         ["--expert", "E1", "--expert", "E2", "--weight", "E3=2"], "--weight"),
        ({"parties": [long_label, "E2"]}, "parties",
         ["--expert", long_label, "--expert", "E2"], "--expert"),
        # The request's schema refuses the 201st party before the service sees it.
        ({"parties": many}, "body.parties",
         [word for label in many for word in ("--expert", label)], "--expert"),
    ]
    service = RoomService(sqlite_db)
    with pytest.raises(RoomError) as err:
        service.open_room("elicitation", None, many)
    assert [p.location for p in err.value.problems] == ["parties"]
    service.close()
    client = TestClient(create_room_app(sqlite_db))
    for body, place, _, _ in cases:
        answer = client.post("/api/rooms", json={"mode": "elicitation", **body})
        assert answer.status_code == 422, answer.text
        assert [p["location"] for p in answer.json()["problems"]] == [place]
    answer = client.post("/api/rooms", json={"mode": "mediation", "parties": ["US", "CN"],
                                             "weights": {"US": 2}})
    assert answer.status_code == 422, answer.text
    assert [p["location"] for p in answer.json()["problems"]] == ["weights.US"]
    client.app.state.room_service.close()
    mediation_words = ["--party", "US", "--party", "CN", "--weight", "US=2"]
    for words, place in [(words, place) for _, _, words, place in cases] + [
            (mediation_words, "--weight")]:
        result = CliRunner().invoke(app, ["room", "open", "korea-2017", "--db",
                                          str(tmp_path / "cli.db"), *words])
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith(f"error: {place}: "), result.stderr
        assert "weights." not in result.stderr and "parties:" not in result.stderr


#: A mediation refusal as each caller gets it: (request body, flags of `detente room open`,
#: the request's (location, words of its fix), the flags' (location, words of its fix)).
RefusedBothWays = tuple[dict[str, Any], list[str], tuple[str, str], tuple[str, str]]


def _refused_where_each_caller_wrote(cases: list[RefusedBothWays], sqlite_db: str,
                                     tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from detente.cli.common import app

    client = TestClient(create_room_app(sqlite_db))
    for body, _, (place, fix), _ in cases:
        answer = client.post("/api/rooms", json={"scenario": "korea-2017", **body})
        assert answer.status_code == 422, answer.text
        (problem,) = answer.json()["problems"]
        assert problem["location"] == place and fix in problem["fix"], problem
        assert "-O" not in problem["fix"] and "--party" not in answer.text, problem
    client.app.state.room_service.close()
    for _, words, _, (place, fix) in cases:
        result = CliRunner().invoke(app, ["room", "open", "korea-2017", "--db",
                                          str(tmp_path / "cli.db"), *words])
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith(f"error: {place}: "), result.stderr
        assert fix in result.stderr and '"options"' not in result.stderr, result.stderr


def test_a_mediation_rooms_options_are_named_as_each_caller_sent_them(
        sqlite_db: str, tmp_path: Path) -> None:
    # Over HTTP a bad grid step's fix said "e.g. -O step=5%", a flag of `detente room open`
    # that a request cannot send: it sends the body's options object. The command line
    # keeps -O.
    _refused_where_each_caller_wrote([
        ({"options": {"step": 0}}, ["-O", "step=0"],
         ("options.step", 'e.g. "options": {"step": "5%"}, or a step in issue units, '
                          'e.g. "options": {"step": 2.5}'),
         ("options.step", "e.g. -O step=5%, or a step in issue units, e.g. -O step=2.5")),
        ({"options": {"step": 0.0001}}, ["-O", "step=0.0001"],
         ("options.step", 'e.g. "options": {"step": "1%"}'),
         ("options.step", "e.g. -O step=1%")),
    ], sqlite_db, tmp_path)


def test_a_mediation_rooms_parties_are_named_as_each_caller_sent_them(
        sqlite_db: str, tmp_path: Path) -> None:
    # On the command line a duplicate or unknown --party was located at "parties" (and
    # "parties[1]"), the HTTP body's field, which `detente room open` has no way to send.
    _refused_where_each_caller_wrote([
        ({"parties": ["US", "US"]}, ["--party", "US", "--party", "US"],
         ("parties", "name each party once"), ("--party", "name each party once")),
        ({"parties": ["US", "XX"]}, ["--party", "US", "--party", "XX"],
         ("parties[1]", "parties are actors of korea-2017"),
         ("--party", "parties are actors of korea-2017")),
        ({"parties": ["US"]}, ["--party", "US"],
         ("parties", "name each party once"), ("--party", "name each party once")),
    ], sqlite_db, tmp_path)


def test_a_huge_pool_weight_on_the_command_line_is_quoted_not_called_inf(
        tmp_path: Path) -> None:
    from detente.cli.common import app

    # float() reads 401 digits as inf: the command line refuses it while it has the text.
    huge = "1" + "0" * 400
    result = CliRunner().invoke(app, ["room", "open", "korea-2017", "--db",
                                      str(tmp_path / "room.db"), "--expert", "E1", "--expert",
                                      "E2", "--weight", f"E1={huge}"])
    assert result.exit_code == 2, result.output
    assert f"--weight: {huge[:40]}" in result.stderr and "is too large" in result.stderr
    assert not re.search(r"\binf\b", result.stderr), result.stderr


def test_a_bid_past_the_scale_is_refused_with_the_digits_that_show_why() -> None:
    from detente.room.mediation import check_bid

    # Six significant digits wrote both 1000000.7 and the scale's 1000000.5 as 1e+06.
    skeleton = {"issues": [{"id": "X", "scale": {"low": 0, "high": 1000000.5}}]}
    with pytest.raises(ScenarioError) as err:
        check_bid(skeleton, {"ranges": {"X": [0, 1000000.7]}})
    (problem,) = err.value.problems
    assert problem.location == "ranges.X"
    assert problem.message == "[0, 1000000.7] is not a range inside the scale of X " \
        "(0 to 1000000.5)"


def test_the_pooled_disagreement_carries_an_sd_on_a_small_scale_unrounded() -> None:
    import copy

    from detente.room.elicitation import pool

    base = copy.deepcopy(SMALL)
    base["issues"][1].update(scale={"low": 0, "high": 0.001}, status_quo=0.0005)
    del base["issues"][1]["options"]

    def judgement(y: float) -> dict[str, Any]:
        return {"stances": {"A": {"X": {"position": 10, "salience": 0.5},
                                  "Y": {"position": y, "salience": 0.5}}}}

    # Two experts 2e-5 apart: sd 1e-5, which four decimals wrote as 0.
    pooled = pool(base, [(1.0, judgement(0.00001)), (1.0, judgement(0.00003))])
    (cell,) = [d for d in pooled.disagreement if d["cell"] == "stances.A.Y.position"]
    assert cell["sd"] == pytest.approx(1e-5, rel=1e-9)
    assert cell["spread"] == pytest.approx(0.01, rel=1e-9)


def test_experts_who_agree_are_not_listed_as_disagreeing() -> None:
    import copy

    from detente.room.elicitation import pool

    base = copy.deepcopy(SMALL)

    def judgement(salience: float) -> dict[str, Any]:
        return {"stances": {"A": {"X": {"position": 10, "salience": salience},
                                  "Y": {"position": 6, "salience": 0.3}}}}

    # Weights 2:1 on the same 0.8: the weighted sums pooled it to 0.8000000000000002 with
    # an sd of 1.1e-16, and the cell was listed where experts disagree.
    pooled = pool(base, [(2.0, judgement(0.8)), (1.0, judgement(0.8))])
    assert pooled.disagreement == []
    assert pooled.scenario["stances"]["A"]["X"]["salience"] == 0.8


def test_sampling_the_pooled_file_draws_the_pools_mean_and_spread(tmp_path: Path) -> None:
    """The reviewer's case: E1 (weight 2) and E2 put UP's FLOW position (scale 0-20) at 4
    and 8. The linear pool has mean 16/3 and sd sqrt(2/9)*4; the truncated normal the
    pool used to write drew mean 5.75 and sd 1.05 from the same file."""
    import numpy as np
    import yaml

    from detente.room.elicitation import pool
    from detente.uncertainty.inputs import input_space

    base = yaml.safe_load(Path("examples/my.yaml").read_text())

    def flow(position: float) -> dict[str, Any]:
        return {"stances": {"UP": {"FLOW": {"position": position}}}}

    pooled = pool(base, [(2.0, flow(4)), (1.0, flow(8))])
    target = tmp_path / "pooled.yaml"
    target.write_text(yaml.safe_dump(pooled.scenario))
    probability, gap = 2 / 3, 8 - 4
    mean = 4 + (1 - probability) * gap
    variance = probability * (1 - probability) * gap**2
    space = input_space(detente.load(target))
    column = space.labels.index("position[UP,FLOW]")
    n = 40_000
    drawn = space.draw(np.random.default_rng(2026), n)[:, column] * 20  # unit scale -> 0-20
    # Monte Carlo tolerance: five standard errors of the sample mean (sd/sqrt(n) = 0.0094)
    # and of the sample sd (sqrt((mu4 - var^2) / n) / (2 sd) = 0.0033 for this two-point pool).
    fourth = probability * (1 - probability) * (1 - 3 * probability + 3 * probability**2) \
        * gap**4
    sd = math.sqrt(variance)
    assert drawn.mean() == pytest.approx(mean, abs=5 * sd / math.sqrt(n))
    assert drawn.std() == pytest.approx(sd, abs=5 * math.sqrt((fourth - variance**2) / n)
                                        / (2 * sd))
    # The point value for analyses that do not sample is the pool's mean.
    assert detente.load(target).stances["UP"]["FLOW"].position.value == pytest.approx(mean)


@pytest.mark.parametrize(("spec", "message"), [
    ({"value": 5, "distribution": "discrete"}, "a discrete distribution needs points"),
    ({"value": 5, "points": [4, 8], "weights": [1]}, "1 weights for 2 points"),
    ({"value": 5, "points": [4, 8], "weights": [1, 0]}, "every weight must be above 0"),
    ({"value": 5, "points": [4, 28]}, "point 28 is outside 0 to 20"),
    ({"value": 5, "points": [4, 8], "sd": 1}, "sd is not used by a discrete distribution"),
    ({"value": 5, "points": [4, 8], "distribution": "normal", "sd": 1},
     "points and weights are only used by a discrete distribution"),
])
def test_a_bad_discrete_spec_in_a_pooled_file_is_named(spec: dict[str, Any],
                                                       message: str) -> None:
    import yaml

    base = yaml.safe_load(Path("examples/my.yaml").read_text())
    base["stances"]["UP"]["FLOW"]["position"] = spec
    with pytest.raises(ScenarioError) as caught:
        scenario_from_mapping(base, "pooled.yaml")
    (problem,) = caught.value.problems
    assert problem.location == "stances.UP.FLOW.position" and message in problem.message


def test_an_export_that_refuses_one_file_writes_neither(room_db: str, tmp_path: Path) -> None:
    from detente.cli.common import app

    service = RoomService(room_db)
    opened = service.open_room("elicitation", "korea-2017", ["E1", "E2"])
    service.submit(service.authenticate(opened.room_id, opened.tokens["E1"]),
                   EXPERT_TABLES["E1"])
    runner = CliRunner()
    record, existing = tmp_path / "new.json", tmp_path / "existing.yaml"
    existing.write_text("mine\n")
    base = ["room", "export", opened.room_id, "--db", room_db, "--token", opened.owner_token]
    result = runner.invoke(app, [*base, "-o", str(record), "--scenario", str(existing)])
    assert result.exit_code == 2 and "already exists; nothing was written" in result.output
    assert "--force" in result.output
    assert not record.exists() and existing.read_text() == "mine\n"
    # The same file for both: refused before either is written (with --force the record
    # would have been replaced by the scenario).
    same = tmp_path / "both.yaml"
    result = runner.invoke(app, [*base, "-o", str(same), "--scenario", str(same), "--force"])
    assert result.exit_code == 2 and "give --scenario another file name" in result.output
    assert not same.exists()
    # Nothing in the way: both are written.
    result = runner.invoke(app, [*base, "-o", str(record), "--scenario",
                                 str(tmp_path / "pooled.yaml")])
    assert result.exit_code == 0, result.output
    assert json.loads(record.read_text())["room"]
    assert detente.load(tmp_path / "pooled.yaml").id == "korea-2017-pooled"



def test_a_partys_yaml_file_gets_fixes_it_can_apply_at_its_lines(tmp_path: Path) -> None:
    """A party can edit only its own file: the fix of a bad walk-away point names its
    field (`room submit` has no --walk-away), a position out of range gets the room's
    scale (widening it is the mediator's), and every problem has the file's line."""
    from detente.cli.common import app

    db = str(tmp_path / "room.db")
    service = RoomService(db)
    opened = service.open_room("mediation", SMALL, ["A", "B", "C"])
    service.close()
    bad = tmp_path / "a.yaml"
    bad.write_text("stances:\n  X: {position: 10, salience: 0.8}\n"
                   "  Y: {position: 15, salience: 0.2}\n"
                   "trust: {B: 1.5}\n"
                   "walk_away: -5\n")
    result = CliRunner().invoke(app, ["room", "submit", opened.room_id, str(bad), "--db", db,
                                      "--token", opened.tokens["A"]])
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert f"{bad}:5: walk_away: walk-away point must be a number from 0 to 100, got -5" \
        in text
    assert "fix: write walk_away: a number from 0 to 100" in text
    assert f"{bad}:3: stances.Y.position: position 15 is outside the scale of Y (0 to 10)" \
        in text
    assert "fix: give a position from 0 to 10, the scale of Y in this room" in text
    assert f"{bad}:4: trust.B: trust 1.5 is outside 0-1" in text
    assert "--walk-away" not in text and "issues.Y.scale" not in text and ".A." not in text


def test_an_api_submission_gets_fixes_in_the_rooms_own_terms(sqlite_db: str) -> None:
    from fastapi.testclient import TestClient

    client = TestClient(create_room_app(sqlite_db))
    opened = client.post("/api/rooms", json={"scenario": SMALL}).json()
    rid, token = opened["room"], opened["parties"]["A"]

    def problems(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
        answer = client.post(f"/api/rooms/{rid}/submission", json=payload,
                             headers=bearer(token))
        assert answer.status_code == 422, answer.text
        return {p["location"]: p for p in answer.json()["problems"]}

    walk = problems({**small_numbers("A"), "walk_away": -5})["walk_away"]
    assert walk["fix"].startswith("write walk_away: a number from 0 to 100")
    position = problems({"stances": {"Y": {"position": 15, "salience": 0.5}}})
    assert position["stances.Y.position"]["fix"] == \
        "give a position from 0 to 10, the scale of Y in this room"
    # An empty submission's example is on this room's issues (X, Y), not korea-2017's NUC.
    empty = problems({"stances": {}})["stances"]["fix"]
    assert '{"stances": {"X": {"position": 50, "salience": 0.8}}}' in empty
    assert "this room's issues: X, Y" in empty and "NUC" not in empty
    answer = client.post(f"/api/rooms/{rid}/bid", json={"ranges": [20, 60]},
                         headers=bearer(token))
    assert answer.status_code == 422
    (bid,) = answer.json()["problems"]
    assert bid["fix"].startswith('e.g. {"X": [0, 100], "Y": [0, 10]}'), bid
    client.app.state.room_service.close()


def test_an_experts_file_gets_fixes_it_can_apply_at_its_lines(room_db: str,
                                                              tmp_path: Path) -> None:
    from detente.cli.common import app

    service = RoomService(room_db)
    opened = service.open_room("elicitation", "korea-2017", ["E1", "E2"])
    service.close()
    base = ["--db", room_db, "--token", opened.tokens["E1"]]
    bad = tmp_path / "e1.yaml"
    bad.write_text("stances:\n  KP:\n    NUC: {position: 140, salience: 0.9}\n")
    result = CliRunner().invoke(app, ["room", "submit", opened.room_id, str(bad), *base])
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert f"{bad}:3: stances.KP.NUC.position: position 140 is outside the scale" in text
    assert "fix: give a position from 0 to 100, the scale of NUC in this room" in text
    assert "issues.NUC.scale" not in text
    empty = tmp_path / "empty.yaml"
    empty.write_text("stances: {}\n")
    result = CliRunner().invoke(app, ["room", "submit", opened.room_id, str(empty), *base])
    assert result.exit_code == 2 and "nothing submitted" in result.output
    stance = detente.load("korea-2017").stances["US"]["NUC"].position.value
    assert f'{{"stances": {{"US": {{"NUC": {{"position": {stance:g}}}}}}}}}' in \
        " ".join(result.output.split())


def test_a_mediation_room_refuses_pool_weights_it_would_never_read(sqlite_db: str) -> None:
    # Weights pool experts' tables (elicitation); a mediation room took them and ignored them.
    service = RoomService(sqlite_db)
    with pytest.raises(RoomError) as refused:
        service.open_room("mediation", "korea-2017", ["US", "CN"], weights={"US": 5})
    assert refused.value.problems[0].location == "weights.US"
    assert "elicitation" in refused.value.problems[0].message


def test_a_bid_over_too_many_rule_tied_values_is_refused_not_enumerated() -> None:
    # Rules chaining korea's issues two by two tie six issues into one group: a whole-scale
    # bid meant 7.2e5 combinations, enumerated on every bid (and in the room's write lock):
    # seconds at six links, out of memory at seven.
    from detente.room import mediation
    from detente.scenario import load_embedded

    skeleton = mediation.skeleton(load_embedded("korea-2017"), ["US", "KP"])
    ids = [i["id"] for i in skeleton["issues"]]
    skeleton["rules"] = [rule for a, b in itertools.pairwise(ids[:6]) for rule in (
        {"when": {"issue": a, "at_most": 20}, "then": {"issue": b, "at_most": 80}},
        {"when": {"issue": a, "at_least": 70}, "then": {"issue": b, "at_least": 30}})]
    whole = {"ranges": {i: [0, 100] for i in ids}}
    with pytest.raises(ScenarioError) as refused:
        mediation.check_bid(skeleton, whole)
    (problem,) = refused.value.problems
    assert problem.location == "ranges" and "combinations" in problem.message
    assert problem.fix.startswith("narrow the ranges on NUC, MSL, SANC, SEC, VER and ALL")
    # The fix works: narrowed to the values a party accepts, the bid is taken.
    narrowed = {"ranges": {i: ([10, 10] if k < 6 else [0, 100]) for k, i in enumerate(ids)}}
    assert mediation.check_bid(skeleton, narrowed)


def test_a_refused_bids_fix_names_the_options_that_keep_the_rule() -> None:
    # NUC options [0, 60, 85, 100], rule "VER ≤ 65 requires NUC ≤ 50": the bid NUC
    # [45, 100] was told to "include a value ≤ 50", which it did (45-50); only option 0
    # keeps the rule. Likewise on VER, only its option 100 lies above 65.
    from detente.room import mediation

    skeleton = mediation.skeleton(detente.load("korea-2017"), ["US", "CN"])
    for issue in skeleton["issues"]:
        issue.update({"NUC": {"options": [0, 60, 85, 100]},
                      "VER": {"options": [0, 50, 100]}}.get(issue["id"], {}))
    bid = korea_bid(VER=[50, 50], NUC=[45, 100])
    with pytest.raises(ScenarioError) as err:
        mediation.check_bid(skeleton, bid)
    (problem,) = err.value.problems
    assert problem.fix == ("widen ranges.NUC to include 0 (its only option ≤ 50), or "
                           "ranges.VER to include 100 (its only option above 65)")
    # Each way the fix names, taken, is a bid the room takes.
    assert mediation.check_bid(skeleton, korea_bid(VER=[50, 50], NUC=[0, 100]))
    assert mediation.check_bid(skeleton, korea_bid(VER=[50, 100], NUC=[45, 100]))
