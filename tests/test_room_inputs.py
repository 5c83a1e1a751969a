"""How the room takes its inputs: a scenario (an embedded id over HTTP, a file only on the
command line), the database file, the command line's flags, a party's file, and the
owner's commands that close a room and reissue a link."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

pytest.importorskip("sqlalchemy", reason="the room extra (SQLAlchemy) is not installed")
pytest.importorskip("fastapi", reason="the web extra (FastAPI) is not installed")

from fastapi import FastAPI
from fastapi.testclient import TestClient

from detente.cli.common import app
from detente.room.api import create_room_app
from detente.room.service import RoomError, RoomService
from tests.room_helpers import SMALL, bearer, small_numbers

pytest_plugins = ("tests.room_helpers",)  # its fixtures: room_db, sqlite_db
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "my.yaml"


def invoke(*args: str, token: str | None = None) -> Result:
    env = {"DETENTE_ROOM_TOKEN": token} if token else {}
    return CliRunner().invoke(app, ["room", *args], env=env)


def opened_on_the_command_line(db: str, *args: str) -> dict[str, Any]:
    result = invoke("open", *args, "--db", db, "--json")
    assert result.exit_code == 0, result.output
    opened: dict[str, Any] = json.loads(result.stdout)
    return opened


def the_workbench(db: str) -> FastAPI:
    from detente.web.app import create_app

    return create_app(room_db=db)


# --- over HTTP a scenario is an embedded id, never a path on the server -----------------
@pytest.mark.parametrize("make_app", [create_room_app, the_workbench],
                         ids=["room-serve", "serve-db"])
def test_the_api_reads_no_file_of_the_server_and_says_the_same_of_every_path(
        sqlite_db: str, make_app: Callable[[str], FastAPI]) -> None:
    client = TestClient(make_app(sqlite_db), base_url="http://127.0.0.1")
    # Beside the example, with a name as long: a long path is quoted cut short, so the two
    # answers must read alike however deep the checkout lies.
    missing = EXAMPLE.with_name("zz" + EXAMPLE.name[2:])
    assert not missing.exists() and len(str(missing)) == len(str(EXAMPLE))
    answers = {}
    for path in (EXAMPLE, missing):
        response = client.post("/api/rooms", json={"scenario": str(path),
                                                   "mode": "elicitation", "parties": ["E1"]})
        assert response.status_code == 422, response.text
        # The file's own numbers (its trust row DOWN: {UP: 0.5}) never come back.
        assert "river" not in response.text and "0.5" not in response.text
        answers[path] = response.text.replace(json.dumps(str(path))[1:-1], "PATH")
    problem = json.loads(answers[EXAMPLE])["problems"][0]
    assert problem["location"] == "scenario" and "korea-2017" in problem["fix"]
    # An oracle of which files exist would answer an existing path otherwise.
    assert answers[EXAMPLE] == answers[missing]
    assert client.post("/api/rooms", json={"scenario": "korea-2017"}).status_code == 201
    assert client.post("/api/rooms", json={"scenario": SMALL}).status_code == 201


def test_the_command_line_still_opens_a_room_from_a_file(tmp_path: Path) -> None:
    db = str(tmp_path / "room.db")
    for flags in (["--expert", "E1"], ["--party", "UP", "--party", "MID"]):
        opened = opened_on_the_command_line(db, str(EXAMPLE), *flags)
        status = invoke("status", opened["room"], "--db", db, token=opened["owner_token"])
        assert status.exit_code == 0, status.output
        assert json.loads(status.stdout)["scenario"]["id"] == "river-example"


# --- a scenario file's refusals name the file and the line ------------------------------
@pytest.mark.parametrize("flags", [["--expert", "E1"], ["--party", "UP", "--party", "MID"]],
                         ids=["elicitation", "mediation"])
def test_a_scenario_files_refusal_names_the_file_and_line(tmp_path: Path,
                                                          flags: list[str]) -> None:
    broken = tmp_path / "a5.yaml"
    broken.write_text(EXAMPLE.read_text().replace("status_quo: 6\n", "status_quo: 25\n"))
    result = invoke("open", str(broken), "--db", str(tmp_path / "room.db"), *flags)
    assert result.exit_code == 2, result.output
    assert f"{broken}:14: issues.FLOW.status_quo: status quo 25" in result.output
    assert "<room>" not in result.output and "<skeleton>" not in result.output


def test_an_empty_scenario_file_is_refused_not_read_as_the_default(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    result = invoke("open", str(empty), "--db", str(tmp_path / "room.db"))
    assert result.exit_code == 2, result.output
    assert f"{empty}: the file is empty" in result.output


# --- flags that contradict each other --------------------------------------------------
def test_experts_and_parties_together_are_refused(tmp_path: Path) -> None:
    db = tmp_path / "room.db"
    result = invoke("open", "korea-2017", "--db", str(db), "--expert", "E1", "--party", "US")
    assert result.exit_code == 2, result.output
    assert "error: --party:" in result.output and "not both" in result.output
    assert not db.exists()


@pytest.mark.parametrize("flags", [["--objective", "maxmin", "-O", "objective=nash"],
                                   ["-O", "step=5", "-O", "step=10"]])
def test_an_option_given_twice_is_refused(tmp_path: Path, flags: list[str]) -> None:
    result = invoke("open", "korea-2017", "--db", str(tmp_path / "room.db"), *flags)
    assert result.exit_code == 2, result.output
    assert "is given twice" in result.output, result.output


def test_the_objective_flag_alone_is_stored(tmp_path: Path) -> None:
    db = str(tmp_path / "room.db")
    opened = opened_on_the_command_line(db, "korea-2017", "--objective", "maxmin")
    status = invoke("status", opened["room"], "--db", db, token=opened["owner_token"])
    assert json.loads(status.stdout)["options"]["objective"] == "maxmin"


# --- answering a round that is not the current one ------------------------------------
def test_a_future_round_has_not_begun_and_a_past_one_is_over(sqlite_db: str) -> None:
    service = RoomService(sqlite_db)
    opened = service.open_room("mediation", SMALL)
    for party in ("A", "B", "C"):
        service.submit(service.authenticate(opened.room_id, opened.tokens[party]),
                       small_numbers(party))
    a = service.authenticate(opened.room_id, opened.tokens["A"])
    with pytest.raises(RoomError) as refused:
        service.respond(a, 2, "accept")
    problem = refused.value.problems[0]
    assert (problem.location, problem.message) == (
        "round", "round 2 has not begun; the current round is 1")
    # A revision opens round 2: round 1 is over.
    service.submit(a, small_numbers("A"))
    with pytest.raises(RoomError, match="round 1 is over; the current round is 2"):
        service.respond(a, 1, "accept")
    service.close()
    result = invoke("respond", opened.room_id, "accept", "--round", "3", "--db", sqlite_db,
                    token=opened.tokens["B"])
    assert result.exit_code == 2, result.output
    assert "error: --round: round 3 has not begun; the current round is 2" in result.output


# --- only `room open` creates a database ------------------------------------------------
@pytest.mark.parametrize("command", [
    ["status", "ROOM"], ["submit", "ROOM", "FILE"], ["bid", "ROOM", "FILE"],
    ["respond", "ROOM", "accept"], ["propose", "ROOM"], ["revoke", "ROOM", "A"],
    ["reissue", "ROOM", "A"], ["close", "ROOM"], ["export", "ROOM"]])
def test_a_missing_database_is_named_and_not_created(tmp_path: Path,
                                                     command: list[str]) -> None:
    numbers = tmp_path / "numbers.json"
    numbers.write_text(json.dumps(small_numbers("A")))
    db = tmp_path / "mistyped.db"
    args = [str(numbers) if a == "FILE" else "0123abcd" if a == "ROOM" else a
            for a in command]
    result = invoke(*args, "--db", str(db), "--token", "some-token")
    assert result.exit_code == 2, result.output
    assert f"error: --db: no room database at {db}" in result.output
    assert not db.exists()


@pytest.mark.parametrize("refused", [["-O", "method=brute"], ["--party", "XX"]])
def test_a_refused_room_open_leaves_no_database_and_keeps_one_that_was_there(
        tmp_path: Path, refused: list[str]) -> None:
    # `room open korea-2017 --db r1.db -O method=brute` was refused and left r1.db behind.
    db = tmp_path / "r1.db"
    result = invoke("open", "korea-2017", "--db", str(db), *refused)
    assert result.exit_code == 2, result.output
    assert sorted(tmp_path.iterdir()) == []
    # A database that was there before is not the refusal's to remove: its rooms stay.
    opened = opened_on_the_command_line(str(db), "korea-2017")
    assert invoke("open", "korea-2017", "--db", str(db), *refused).exit_code == 2
    status = invoke("status", opened["room"], "--db", str(db), token=opened["owner_token"])
    assert status.exit_code == 0, status.output


# --- a party's file that is empty or not a mapping --------------------------------------
def test_an_empty_or_listed_submission_names_the_file_and_gets_the_rooms_example(
        sqlite_db: str, tmp_path: Path) -> None:
    client = TestClient(create_room_app(sqlite_db), base_url="http://127.0.0.1")
    opened = client.post("/api/rooms", json={"scenario": SMALL}).json()
    token = opened["parties"]["A"]
    empty_over_http = client.post(f"/api/rooms/{opened['room']}/submission", json={},
                                  headers=bearer(token)).json()["problems"][0]["fix"]
    assert '"stances"' in empty_over_http
    for name, text in (("empty.yaml", ""), ("listed.yaml", "- a\n")):
        path = tmp_path / name
        path.write_text(text)
        result = invoke("submit", opened["room"], str(path), "--db", sqlite_db, token=token)
        assert result.exit_code == 2, result.output
        assert f"error: {path}" in result.output and "JSON object" not in result.output
        assert empty_over_http in " ".join(result.output.split()), result.output


# --- the owner closes a room and reissues a link from the command line ------------------
def test_the_owner_reissues_a_link_and_closes_the_room(tmp_path: Path) -> None:
    db = str(tmp_path / "room.db")
    opened = opened_on_the_command_line(db, "korea-2017", "--party", "US", "--party", "KP")
    rid, owner, old = opened["room"], opened["owner_token"], opened["parties"]["KP"]
    result = invoke("reissue", rid, "KP", "--db", db, "--url", "https://room.example",
                    token=owner)
    assert result.exit_code == 0, result.output
    prefix = f"KP: https://room.example/room/{rid}#token="
    assert result.stdout.startswith(prefix), result.stdout
    new = result.stdout.strip().removeprefix(prefix)
    assert invoke("status", rid, "--db", db, token=old).exit_code == 2
    assert json.loads(invoke("status", rid, "--db", db, token=new).stdout)["me"]["label"] \
        == "KP"
    assert invoke("close", rid, "--db", db, token=new).exit_code == 2  # a party may not
    result = invoke("close", rid, "--db", db, token=owner)
    assert result.exit_code == 0, result.output
    status = json.loads(invoke("status", rid, "--db", db, token=owner).stdout)
    assert status["room"]["status"] == "closed"
    again = invoke("close", rid, "--db", db, token=owner)
    assert again.exit_code == 2 and "the room is closed" in again.output


@pytest.mark.parametrize("kind", ["not-a-database", "folder", "no-folder"])
def test_a_database_that_cannot_be_opened_is_named_not_a_traceback(tmp_path: Path,
                                                                    kind: str) -> None:
    db = {"not-a-database": EXAMPLE, "folder": tmp_path,
          "no-folder": tmp_path / "missing" / "room.db"}[kind]
    for command in (["open", "korea-2017"], ["status", "0123abcd", "--token", "t"],
                    ["serve"]):
        result = invoke(*command, "--db", str(db))
        assert result.exit_code == 2, (command, result.output)
        assert "error: --db: " in result.output and "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
