"""`detente room …`: run a negotiation room from the command line.

The commands work directly on the room's database (``--db``, a SQLite file by default or
a ``postgresql://`` URL), through the same operations and checks as the HTTP API, so a
mediator can run a room without a server, and a server (``detente room serve``) on the
same database sees the same room. Tokens are read from ``--token`` or the environment
variable ``DETENTE_ROOM_TOKEN`` (which keeps them out of the shell's history).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from detente.atomic import check_writable, write_atomic
from detente.cli.common import app, console, err_console, reports_errors
from detente.errors import (
    Problem,
    ScenarioError,
    needs_extra,
    non_finite_text,
    option_error,
    option_text,
    shorten,
)
from detente.room.given import BY_FLAGS
from detente.serving import host_names, is_loopback

room_app = typer.Typer(name="room", help="A negotiation room: parties enter their numbers "
                       "privately; detente proposes a package (see docs/room.md).",
                       no_args_is_help=True)
app.add_typer(room_app)

DB = Annotated[str, typer.Option("--db", help="The room database: a SQLite file or a "
                                 "postgresql:// URL.")]
TOKEN = Annotated[str, typer.Option("--token", envvar="DETENTE_ROOM_TOKEN",
                                    help="Your token (or set DETENTE_ROOM_TOKEN).")]
SERVER_URL = Annotated[str, typer.Option("--url", help="The server's address, to print "
                                         "the parties' links.")]
DEFAULT_URL = "http://127.0.0.1:8766"
# Every argument names its metavar: typer would write the parameter's name ({room}) where
# every other command's usage line writes upper case (SCENARIO).
ROOM = Annotated[str, typer.Argument(help="The room's id.", show_default=False, metavar="ROOM")]


@contextmanager
def _service(db: str, creates: bool = False) -> Iterator[Any]:
    """The room service on ``db`` for one command, closed when the command is done. A
    SQLite file the command created is removed again where the command is refused (a bad
    option, an unknown party): a refusal leaves nothing behind, and the same command, fixed,
    opens the room in a new database. A database that was there before is never touched."""
    path = _sqlite_path(db) if creates else None
    made = ([] if path is None or path.exists() else
            [f for f in (path, *(path.with_name(path.name + end) for end in SQLITE_SIDE_FILES))
             if not f.exists()])
    service = _opened_service(db, creates)
    try:
        yield service
    except BaseException:
        service.close()
        for f in made:
            f.unlink(missing_ok=True)
        raise
    service.close()


#: The files SQLite may keep beside a database (WAL mode, rollback journal).
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def _sqlite_path(db: str) -> Path | None:
    with needs_extra("room", "the room needs SQLAlchemy and Alembic", "room"):
        from detente.room.db import sqlite_file
    return sqlite_file(db)


def _opened_service(db: str, creates: bool) -> Any:
    """The room service on ``db``, or a refusal at ``--db`` where it cannot be opened. Only a
    command that ``creates`` rooms may create the database: any other, given a mistyped
    file, would leave an empty database behind and then report the room unknown."""
    path = _sqlite_path(db)
    with needs_extra("room", "the room needs SQLAlchemy and Alembic", "room"):
        from sqlalchemy.exc import DBAPIError

        from detente.room.service import RoomService
    if path is not None and not path.exists():
        if not creates:
            raise option_error("--db", f"no room database at {path}",
                               f"check the path: it is the {option_text('db')} the room was "
                               "opened with (only `detente room open` creates a database)")
        if not path.parent.is_dir():
            raise option_error("--db", f"no folder {path.parent} to create the database in",
                               "create the folder first, or give a file in an existing one")
    try:
        return RoomService(db)
    except DBAPIError as err:  # not a database, a folder, a server that does not answer
        # A server's URL is not repeated: it may carry a password.
        reason = str(err.orig).partition("\n")[0]
        raise option_error("--db", f"cannot open the room database"
                           f"{f' {path}' if path else ''}: {reason}",
                           "give the SQLite file `detente room open` made, or the "
                           "postgresql:// URL of a server that answers") from None


def _caller(service: Any, room: str, token: str) -> Any:
    return service.authenticate(room, token)


@contextmanager
def _calling(db: str, room: str, token: str) -> Iterator[tuple[Any, Any]]:
    """The room service on ``db`` and the caller ``token`` stands for in ``room``."""
    with _service(db) as service:
        yield service, _caller(service, room, token)


def _print_json(data: Any) -> None:
    console.print_json(json.dumps(data, allow_nan=False))


def _room_options(objective: str | None, items: list[str]) -> dict[str, Any]:
    """The room's options from ``--objective`` and the ``-O NAME=VALUE`` items; an option
    given twice is refused, as elsewhere on the command line: the last one used to win
    without a word."""
    options: dict[str, Any] = {}
    given: dict[str, str] = {}
    if objective is not None:
        options["objective"] = objective
        given["objective"] = option_text("objective", objective)
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise option_error("--option", f"expected NAME=VALUE, got '{item[:40]}'",
                               "e.g. -O step=10")
        name, written = name.strip(), option_text("option", item, "-O")
        if name in given:
            raise option_error("--option", f"{name} is given twice: '{shorten(given[name])}' "
                               f"and '{shorten(written)}'", "give each option once")
        given[name], options[name] = written, value.strip()
    return options


def _scenario_source(scenario: str | None) -> str | Path | None:
    """What ``room open SCENARIO`` hands the room: an embedded id as text, anything else as
    a file (the room reads files only when they are handed to it as paths)."""
    from detente.scenario import is_embedded_id

    if scenario is None or is_embedded_id(scenario):
        return scenario
    return Path(scenario)


@room_app.command("open")
@reports_errors
def open_room(
    scenario: Annotated[str | None, typer.Argument(
        help="Embedded scenario id or file: mediation takes its issues, actors and "
             "guarantors (default korea-2017); elicitation starts the experts from it.",
        show_default=False, metavar="SCENARIO")] = None,
    db: DB = "room.db",
    party: Annotated[list[str] | None, typer.Option(
        "--party", help="Mediation: an actor who negotiates (repeat; default all).")] = None,
    expert: Annotated[list[str] | None, typer.Option(
        "--expert", help="Elicitation: an expert's label (repeat); opens an elicitation "
                         "room.")] = None,
    weight: Annotated[list[str] | None, typer.Option(
        "--weight", help="Elicitation: an expert's pool weight, LABEL=W (repeat).")] = None,
    objective: Annotated[str | None, typer.Option(
        help="nash (best Nash product, the default) or maxmin.", show_default=False)
                         ] = None,
    option: Annotated[list[str] | None, typer.Option(
        "--option", "-O", help="A settlement option, NAME=VALUE (step, utility, correlation, "
                               "losses, weighting, method).")] = None,
    expires_days: Annotated[float, typer.Option("--expires-days", help="Days the room "
                                                "lasts.", min=0.001, max=365)] = 14.0,
    url: SERVER_URL = DEFAULT_URL,
    as_json: Annotated[bool, typer.Option("--json", help="Print the room, tokens and links "
                                          "as JSON (for scripts).")] = False,
) -> None:
    """Open a room and print the owner's token and each party's link (shown only now)."""
    if expert and party:
        raise option_error(BY_FLAGS.parties_place, f"{BY_FLAGS.parties_place} names the "
                           f"parties of a mediation room, {BY_FLAGS.place} the experts of an "
                           "elicitation room: a room is one or the other",
                           f"give {BY_FLAGS.parties_place} for each party (mediation) or "
                           f"{BY_FLAGS.place} for each expert (elicitation), not both")
    options = _room_options(objective, option or [])
    weights: dict[str, float] = {}
    for item in weight or []:
        label, sep, value = item.partition("=")
        try:
            weights[label.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            raise option_error("--weight", f"expected LABEL=NUMBER, got '{item[:40]}'",
                               BY_FLAGS.weight_example)
        # Refused here, where the text is at hand: a 400-digit weight reads as inf, which
        # the room's own check could only call inf.
        if not math.isfinite(weights[label.strip()]):
            raise option_error("--weight", f"{non_finite_text(value)}, in "
                               f"'{shorten(item)}'", BY_FLAGS.weight_example)
    mode = "elicitation" if expert else "mediation"
    with _service(db, creates=True) as service:
        opened = service.open_room(mode, _scenario_source(scenario),
                                   list(expert or party or []) or None,
                                   options, expires_in=dt.timedelta(days=expires_days),
                                   weights=weights, given=BY_FLAGS)
    base = url.rstrip("/")
    links = {label: f"{base}/room/{opened.room_id}#token={token}"
             for label, token in opened.tokens.items()}
    if as_json:
        _print_json({"room": opened.room_id, "mode": mode, "owner_token": opened.owner_token,
                     "parties": opened.tokens, "links": links})
    else:
        console.print(f"room {opened.room_id} ({mode}) in {db}", soft_wrap=True)
        console.print(f"owner token: {opened.owner_token}", soft_wrap=True)
        console.print(f"owner page:  {base}/room/{opened.room_id}#token={opened.owner_token}",
                      soft_wrap=True)
        for label, link in links.items():
            console.print(f"{label}: {link}", soft_wrap=True)
    err_console.print("each token is shown only now; the database keeps only its hash")


@room_app.command("status")
@reports_errors
def status(room: ROOM, token: TOKEN, db: DB = "room.db") -> None:
    """What your token may see of the room, as JSON."""
    with _service(db) as service:
        _print_json(service.status(_caller(service, room, token)))


def _document_command(act: str, file_help: str, summary: str) -> None:
    """``detente room ACT ROOM FILE``: a party's document (YAML or JSON, read within the
    load limits) handed to the service's ``act`` under the party's token."""

    def command(room: ROOM, file: Path, token: TOKEN, db: DB = "room.db") -> None:
        from detente.safeload import read_document
        from detente.scenario.load import line_for

        payload, lines = read_document(file)
        with _service(db) as service:
            try:
                answer = getattr(service, act)(_caller(service, room, token), payload)
            except ScenarioError as err:  # the numbers in the party's file: named by it,
                # at the line of each place (the service places them in the file's terms)
                raise ScenarioError([dataclasses.replace(
                    p, line=p.line or line_for(p.location, payload, lines))
                    for p in err.problems], str(file)) from None
        _print_json(answer)

    command.__annotations__["file"] = Annotated[Path, typer.Argument(help=file_help,
                                                                     metavar="FILE")]
    command.__name__, command.__doc__ = act, summary
    room_app.command(act)(reports_errors(command))


_document_command("submit", "Your numbers, YAML or JSON (docs/room.md shows the fields).",
                  "Enter or revise your own numbers (a party's token).")
_document_command("bid", "Your offer, YAML or JSON: ranges: {ISSUE: [low, high]} for every "
                  "issue.", "Blind bidding: enter your offer; the room closes when every "
                  "party's offers cross.")


@room_app.command("respond")
@reports_errors
def respond(room: ROOM, answer: Annotated[str, typer.Argument(help="accept or reject",
                                                               metavar="ANSWER")],
            token: TOKEN, round_: Annotated[int, typer.Option(
                "--round", help="The round you answer (status shows it).", min=1)] = 1,
            db: DB = "room.db") -> None:
    """Accept or reject the current proposal (a party's token)."""
    with _service(db) as service:
        _print_json(service.respond(_caller(service, room, token), round_, answer,
                                    given=BY_FLAGS))


@room_app.command("propose")
@reports_errors
def propose(room: ROOM, token: TOKEN, db: DB = "room.db",
            objective: Annotated[str | None, typer.Option(
                help="Recompute with nash or maxmin.")] = None) -> None:
    """Compute the proposal once every party has submitted (the owner's token)."""
    with _service(db) as service:
        _print_json(service.propose(_caller(service, room, token), objective))


@room_app.command("revoke")
@reports_errors
def revoke(room: ROOM, party: Annotated[str, typer.Argument(help="The party's label.",
                                                             metavar="PARTY")],
           token: TOKEN, db: DB = "room.db") -> None:
    """Revoke a party's link (the owner's token)."""
    with _service(db) as service:
        service.revoke(_caller(service, room, token), party)
        console.print(f"{party}'s link is revoked")


@room_app.command("reissue")
@reports_errors
def reissue(room: ROOM, party: Annotated[str, typer.Argument(help="The party's label.",
                                                              metavar="PARTY")],
            token: TOKEN, db: DB = "room.db", url: SERVER_URL = DEFAULT_URL) -> None:
    """A new link for a party, whose old link stops working (the owner's token)."""
    with _calling(db, room, token) as (service, caller):
        new_token = service.reissue(caller, party)
    console.print(f"{party}: {url.rstrip('/')}/room/{room}#token={new_token}", soft_wrap=True)
    err_console.print("the token is shown only now; the database keeps only its hash")


@room_app.command("close")
@reports_errors
def close(room: ROOM, token: TOKEN, db: DB = "room.db") -> None:
    """Close the room without agreement: nothing can change any more (the owner's token)."""
    with _calling(db, room, token) as (service, caller):
        service.close_room(caller)
    console.print(f"room {room} is closed")


@room_app.command("export")
@reports_errors
def export(room: ROOM, token: TOKEN, db: DB = "room.db",
           output: Annotated[Path | None, typer.Option(
               "--output", "-o", help="Write the record (JSON) here instead of printing "
                                      "it.")] = None,
           scenario: Annotated[Path | None, typer.Option(
               "--scenario", help="Elicitation, owner: write the pooled scenario (YAML) "
                                  "here, for `detente sample`.")] = None,
           force: Annotated[bool, typer.Option(help="Overwrite existing files.")] = False,
           ) -> None:
    """The room's record with the audit trail; for an elicitation room's owner, also the
    pooled scenario file."""
    import yaml

    # Every file is checked before any is written (as `validate` does): a refusal of the
    # second must not leave the first behind.
    if output is not None and scenario is not None and output.resolve() == scenario.resolve():
        raise option_error("--scenario", f"the record (-o) and the pooled scenario are both "
                           f"{output}", "give --scenario another file name")
    for path, flag in ((output, "-o"), (scenario, "--scenario")):
        if path is not None:
            check_writable(path, force, flag=flag)
    with _service(db) as service:
        who = _caller(service, room, token)
        record = service.export(who)
        pooled = service.pooled(who) if scenario is not None else None
    text = json.dumps(record, indent=2, allow_nan=False)
    if output is None:
        console.print(text, markup=False, soft_wrap=True)
    else:
        write_atomic(output, text + "\n", force=force)
        err_console.print(f"wrote {output}", markup=False, soft_wrap=True)
    if pooled is not None and scenario is not None:
        write_atomic(scenario, yaml.safe_dump(pooled.scenario, sort_keys=False,
                                              allow_unicode=True), force)
        err_console.print(f"wrote {scenario} (pooled from {pooled.experts} experts)",
                          markup=False, soft_wrap=True)


def bind_problem(host: str, expose: bool, certfile: Path | None, keyfile: Path | None,
                 behind_proxy: str | None) -> Problem | None:
    """Why the room may not listen on ``host`` as asked, or None.

    Loopback is always allowed. Anything else exposes tokens on the network, so it needs
    ``--expose`` and either TLS here (certificate and key) or ``--behind-proxy ADDRESS``: a
    reverse proxy at that address terminates TLS (docs/room.md shows one).
    """
    if is_loopback(host):
        return None
    if not expose:
        return Problem("--host", f"listening on {host} lets other machines reach the room",
                       "add --expose and TLS (--tls-certfile and --tls-keyfile), or "
                       "--behind-proxy ADDRESS; or keep the default 127.0.0.1")
    if (certfile is None) != (keyfile is None):
        return Problem("--tls-certfile", "TLS needs both a certificate and its key",
                       "give --tls-certfile and --tls-keyfile")
    if certfile is None and not behind_proxy:
        return Problem("--expose", "a room reachable from other machines needs TLS",
                       "give --tls-certfile and --tls-keyfile, or --behind-proxy ADDRESS "
                       "for a reverse proxy that terminates TLS")
    return None


@room_app.command("serve")
@reports_errors
def serve(
    db: DB = "room.db",
    host: Annotated[str, typer.Option(help="Address to listen on (loopback unless "
                                           "--expose).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535)] = 8766,
    expose: Annotated[bool, typer.Option("--expose", help="Allow a non-loopback --host "
                                         "(needs TLS or --behind-proxy).")] = False,
    tls_certfile: Annotated[Path | None, typer.Option("--tls-certfile")] = None,
    tls_keyfile: Annotated[Path | None, typer.Option("--tls-keyfile")] = None,
    behind_proxy: Annotated[str | None, typer.Option(
        "--behind-proxy", help="The reverse proxy's address: it terminates TLS, and its "
                               "X-Forwarded-* headers are trusted.")] = None,
    allow_host: Annotated[list[str] | None, typer.Option(
        "--allow-host", help="A Host name the server answers to when exposed (repeat).")
                          ] = None,
) -> None:
    """Serve rooms over HTTP: the parties' page and the JSON API."""
    problem = bind_problem(host, expose, tls_certfile, tls_keyfile, behind_proxy)
    if problem is not None:
        raise option_error(problem.location, problem.message, problem.fix)
    with needs_extra("room serve", "the room server needs FastAPI, uvicorn and SQLAlchemy",
                     "web,room"):
        import uvicorn

        from detente.room.api import create_room_app
    _opened_service(db, creates=True).close()  # a bad --db refused before the server starts
    app_ = create_room_app(db, allowed_hosts=host_names(host, allow_host))
    scheme = "https" if tls_certfile else "http"
    err_console.print(f"detente room on {scheme}://{host}:{port}/  (Ctrl+C stops it)")
    uvicorn.run(app_, host=host, port=port, log_level="warning",
                ssl_certfile=str(tls_certfile) if tls_certfile else None,
                ssl_keyfile=str(tls_keyfile) if tls_keyfile else None,
                proxy_headers=behind_proxy is not None,
                forwarded_allow_ips=behind_proxy)
