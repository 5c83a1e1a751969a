"""The room's operations, each with its authorization: the HTTP API and the command line
both call these, so a rule lives in one place.

Roles: the **owner** (mediator or analyst; holds the owner token) and the **parties**
(negotiating parties or experts; one token each). A token is 32 random bytes from
:mod:`secrets`, shown once when it is made and stored only as its SHA-256 hash.

What each role sees (the whole privacy contract, tested by ``tests/test_room_leak.py``):

* a party: its own numbers, its own gain from each proposal, the proposed package, whether
  a package every party accepts exists, who has submitted (not what), how many accepted;
* the owner: the room, who has submitted, the proposals, each party's answer, the audit
  trail (who did what in which round, when); in elicitation the pooled scenario and where
  experts disagree, without names; never a party's numbers or gain;
* nobody else: anything at all.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import math
import secrets
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from detente.errors import DetenteError, Problem, ScenarioError, shorten
from detente.room import elicitation, mediation
from detente.room.db import (
    AuditEvent,
    Bid,
    Gain,
    Party,
    Proposal,
    Response,
    Room,
    Submission,
    make_engine,
    migrate,
    utc,
)
from detente.room.given import BY_REQUEST, OpeningGiven
from detente.safeload import read_document
from detente.scenario import Scenario, load, load_embedded, scenario_from_mapping
from detente.scenario.load import file_kind

Mode = Literal["mediation", "elicitation"]
Role = Literal["owner", "party"]
DEFAULT_EXPIRY = dt.timedelta(days=14)
MAX_PARTIES = 200
#: Pool weights are relative: a weight of a million or more is taken for a typo, not a pool.
MAX_POOL_WEIGHT = 1e6
TOKEN_BYTES = 32
EXPORT_FORMAT = "detente.room"
EXPORT_VERSION = 1


class RoomError(DetenteError):
    """A refused room request; ``status`` is its HTTP status code."""

    def __init__(self, status: int, location: str, message: str, fix: str = "",
                 retry_after: int | None = None) -> None:
        self.status = status
        self.retry_after = retry_after  # seconds, for 429
        super().__init__([Problem(location, message, fix)])


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """SHA-256 of a token: tokens carry 256 random bits, so a fast hash is enough (no
    password-style stretching is needed against guessing)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Caller:
    room_id: str
    role: Role
    party_id: int | None = None
    label: str = ""

    @property
    def who(self) -> str:
        return self.label if self.role == "party" else "owner"


@dataclass(frozen=True)
class OpenedRoom:
    room_id: str
    owner_token: str
    tokens: dict[str, str]  # party label -> token (shown once)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class RoomService:
    """Every room operation over one database (``db``: a SQLite path or a URL)."""

    def __init__(self, db: str | Engine, now: Callable[[], dt.datetime] = _now) -> None:
        self.engine = make_engine(db) if isinstance(db, str) else db
        migrate(self.engine)
        self.now = now
        # One writer at a time inside this process; across processes SQLite's BEGIN
        # IMMEDIATE and PostgreSQL's row lock on the room (FOR UPDATE) do the same.
        self._write = threading.Lock()

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _session(self, write: bool) -> Iterator[Session]:
        if write:
            with self._write, Session(self.engine) as session, session.begin():
                yield session
        else:
            with Session(self.engine) as session, session.begin():
                yield session

    # --- opening ------------------------------------------------------------------------
    def open_room(self, mode: Mode,
                  scenario: str | Path | Scenario | Mapping[str, Any] | None,
                  parties: list[str] | None = None, options: Mapping[str, Any] | None = None,
                  title: str | None = None, expires_in: dt.timedelta = DEFAULT_EXPIRY,
                  weights: Mapping[str, float] | None = None,
                  given: OpeningGiven = BY_REQUEST) -> OpenedRoom:
        """Open a room. Mediation: ``scenario`` gives the skeleton (its issues, actors and
        guarantors; its stances and trust are dropped), ``parties`` the actors who
        negotiate (default all). Elicitation: ``scenario`` is the full scenario the experts
        start from, ``parties`` the experts' labels, ``weights`` optional pool weights,
        refused as ``given`` names them (and the parties and the options).

        ``scenario`` as text is an embedded scenario's id, never a path: the HTTP API hands
        its callers' text through, and a path would let anyone on the network read the
        server's files. A file is given as a :class:`~pathlib.Path` (the command line's
        ``room open FILE``), read here so that its refusals name it and its lines."""
        if mode not in ("mediation", "elicitation"):
            raise RoomError(422, "mode", f"unknown mode '{mode}'", "mediation or elicitation")
        s = self._opening_scenario(mode, scenario)
        with mediation.options_named(given.options_in_body):
            checked = mediation.check_options(options)
        if mode == "mediation":
            labels = list(parties) if parties else list(s.actor_ids)
            base = mediation.skeleton(s, labels, given)
            with mediation.options_named(given.options_in_body):
                mediation.check_search(s, checked)
        else:
            labels = list(parties or [])
            if len(labels) < 1 or len(set(labels)) != len(labels):
                raise RoomError(422, given.place, "an elicitation room needs at least "
                                "one expert, each named once", given.example)
            base = s.to_dict()
        labels_place = given.place if mode == "elicitation" else given.parties_place
        if len(labels) > MAX_PARTIES:
            raise RoomError(422, labels_place, f"{len(labels)} parties is more than a room "
                            f"takes ({MAX_PARTIES})", f"use at most {MAX_PARTIES}")
        for label in labels:
            if not isinstance(label, str) or not 0 < len(label) <= 64:
                raise RoomError(422, labels_place, "a party's label is 1 to 64 characters",
                                "use the actor id or a short expert label")
        weights = dict(weights or {})
        if mode == "mediation" and weights:
            # A mediation room pools nothing: a weight would be taken and never read.
            raise RoomError(422, given.weight_place(next(iter(weights))),
                            "pool weights belong to elicitation rooms: a mediation room "
                            "pools no judgements",
                            "leave the weights out, or open an elicitation room")
        for label, w in weights.items():
            if label not in labels:
                raise RoomError(422, given.weight_place(label),
                                f"'{label}' is not one of the experts",
                                f"give weights to {', '.join(labels) or 'the listed experts'}")
            # NaN fails every comparison and JSON readers accept NaN and Infinity: the
            # finiteness is said, not left to the bounds.
            if isinstance(w, bool) or not isinstance(w, int | float) or not math.isfinite(w) \
                    or not 0 < w < MAX_POOL_WEIGHT:
                raise RoomError(422, given.weight_place(label), "a pool weight must "
                                "be a finite number above 0 and below "
                                f"{MAX_POOL_WEIGHT:,.0f}, got {w!r}",
                                given.weight_example)
        if not dt.timedelta(minutes=1) <= expires_in <= dt.timedelta(days=365):
            raise RoomError(422, "expires", "a room lasts from a minute to a year",
                            "give e.g. 14 days")
        # Hex, not url-safe base64: an id starting with '-' reads as an option on the command
        # line (`detente room submit -Cx…` failed one room in 2**6).
        room_id = secrets.token_hex(9)
        owner = new_token()
        tokens = {label: new_token() for label in labels}
        now = self.now()
        with self._session(write=True) as session:
            session.add(Room(id=room_id, mode=mode, title=(title or s.title)[:200],
                             scenario_json=json.dumps(base, allow_nan=False),
                             options_json=json.dumps(checked, allow_nan=False),
                             owner_token_hash=token_hash(owner), status="open", round=1,
                             created_at=now, expires_at=now + expires_in))
            session.flush()
            for label, token in tokens.items():
                session.add(Party(room_id=room_id, label=label, token_hash=token_hash(token),
                                  revoked=False, weight=float(weights.get(label, 1.0))))
            self._audit(session, room_id, "owner", "open", 1)
        return OpenedRoom(room_id, owner, tokens)

    @staticmethod
    def _opening_scenario(mode: Mode,
                          scenario: str | Path | Scenario | Mapping[str, Any] | None
                          ) -> Scenario:
        """The scenario a room opens on (:meth:`open_room`), checked by the loader."""
        if isinstance(scenario, str):
            try:
                return load_embedded(scenario)
            except ScenarioError as err:
                # Decided without looking at the disk (load_embedded reads no file a caller
                # names), so the answer is the same whether or not such a file exists.
                raise RoomError(422, "scenario", f"'{shorten(scenario)}' is not an embedded "
                                "scenario, and a room reads no file of the server's",
                                f"give {err.problems[0].fix}; or the scenario itself, its "
                                "file's content as JSON (`detente room open FILE` reads a "
                                "file itself)") from None
        if isinstance(scenario, Path) and mode == "mediation" and scenario.is_file() and \
                file_kind(scenario) != ".csv":
            # A skeleton file may have no stances: read as a document, not by load() (which
            # also names a file that is missing or of an unknown type).
            raw, lines = read_document(scenario)
            return mediation.load_skeleton(raw, str(scenario), lines)
        if isinstance(scenario, Mapping) and mode == "mediation":
            return mediation.load_skeleton(scenario)
        if isinstance(scenario, Mapping):
            return scenario_from_mapping(dict(scenario), "<room>")
        return load(scenario)

    # --- who is calling -----------------------------------------------------------------
    def authenticate(self, room_id: str, token: str | None) -> Caller:
        """The caller a token stands for in this room, or a refusal (401 no token; 404 a
        token that is not of this room, so a room's existence is not confirmed to strangers;
        403 revoked; 410 expired)."""
        if not token:
            raise RoomError(401, "Authorization", "this room needs its link's token",
                            "open the room with the link you were given")
        digest = token_hash(token)
        with self._session(write=False) as session:
            room = session.get(Room, room_id)
            if room is None:
                raise self._not_found()
            if hmac.compare_digest(room.owner_token_hash, digest):
                return Caller(room_id, "owner")
            party = session.scalars(select(Party).where(Party.room_id == room_id,
                                                        Party.token_hash == digest)).first()
            if party is None:
                raise self._not_found()
            if party.revoked:
                raise RoomError(403, "Authorization", "this link was revoked by the room's "
                                "owner", "ask the mediator for a new link")
            if utc(room.expires_at) <= self.now():
                raise RoomError(410, "room", "this room has expired",
                                "ask the mediator to open a new room")
            return Caller(room_id, "party", party.id, party.label)

    @staticmethod
    def _not_found() -> RoomError:
        return RoomError(404, "room", "no room with this id for this token",
                         "check the link you were given")

    # --- helpers ------------------------------------------------------------------------
    def _audit(self, session: Session, room_id: str, who: str, action: str,
               round_: int) -> None:
        session.add(AuditEvent(room_id=room_id, at=self.now(), who=who, action=action,
                               round=round_))

    @staticmethod
    def _locked_room(session: Session, room_id: str) -> Room:
        room = session.scalars(select(Room).where(Room.id == room_id)
                               .with_for_update()).first()
        if room is None:  # pragma: no cover - authenticate found it
            raise RoomService._not_found()
        return room

    def _open_for_change(self, room: Room) -> None:
        if room.status != "open":
            raise RoomError(409, "room", "the room is closed", "nothing can change any more")
        if utc(room.expires_at) <= self.now():
            raise RoomError(410, "room", "this room has expired",
                            "ask the mediator to open a new room")

    @staticmethod
    def _require(caller: Caller, role: Role) -> None:
        if caller.role != role:
            what = "the room's owner" if role == "owner" else "a party"
            raise RoomError(403, "Authorization", f"only {what} may do this",
                            "use the link meant for this")

    @staticmethod
    def _latest(session: Session, room_id: str) -> dict[int, Submission]:
        newest = (select(func.max(Submission.id))
                  .join(Party, Party.id == Submission.party_id)
                  .where(Party.room_id == room_id).group_by(Submission.party_id))
        rows = session.scalars(select(Submission).where(Submission.id.in_(newest))).all()
        return {row.party_id: row for row in rows}

    @staticmethod
    def _proposal(session: Session, room_id: str, round_: int) -> Proposal | None:
        return session.scalars(select(Proposal).where(Proposal.room_id == room_id,
                                                      Proposal.round == round_)).first()

    @staticmethod
    def _parties(session: Session, room_id: str) -> list[Party]:
        return list(session.scalars(select(Party).where(Party.room_id == room_id)
                                    .order_by(Party.id)).all())

    # --- parties ------------------------------------------------------------------------
    def submit(self, caller: Caller, payload: Mapping[str, Any]) -> dict[str, Any]:
        """A party enters (or revises) its own numbers. In mediation, once every party has
        numbers the room proposes; a revision after a proposal opens the next round."""
        self._require(caller, "party")
        with self._session(write=False) as session:
            room = session.get(Room, caller.room_id)
            assert room is not None
            base = json.loads(room.scenario_json)
            mode = room.mode
        # Checked before the write lock: the loader may take a while on a large table.
        checked = self._checked_submission(mode, base, caller.label, payload)
        with self._session(write=True) as session:
            room = self._locked_room(session, caller.room_id)
            self._open_for_change(room)
            action = "submit"
            if mode == "mediation" and self._proposal(session, room.id, room.round):
                room.round += 1
                action = "revise"
            session.add(Submission(party_id=caller.party_id, round=room.round,
                                   payload_json=json.dumps(checked, allow_nan=False),
                                   created_at=self.now()))
            self._audit(session, room.id, caller.who, action, room.round)
            session.flush()
            if mode == "mediation":
                # The party's numbers are fine, the room's options are not (the search
                # refuses before anything is written): the submission stays, and the
                # owner's propose says why and what to change.
                with contextlib.suppress(mediation.SearchRefused):
                    self._propose_if_complete(session, room, "owner-default")
        return self.status(caller)

    @staticmethod
    def _checked_submission(mode: str, base: Mapping[str, Any], label: str,
                            payload: Any) -> dict[str, Any]:
        """A party's numbers checked for its room: mediation's row or elicitation's cells."""
        def check(numbers: Mapping[str, Any]) -> dict[str, Any]:
            if mode == "mediation":
                return mediation.check_submission(base, label, numbers)
            return elicitation.check_submission(base, numbers)

        if payload is None:  # an empty file: an empty submission, answered with an example
            payload = {}
        if not isinstance(payload, Mapping):
            example = "see docs/room.md for its fields"
            try:
                check({})
            except ScenarioError as err:  # the example an empty submission gets
                example = err.problems[0].fix
            raise ScenarioError([Problem("", "a submission is a mapping of its fields, not "
                                         f"a {type(payload).__name__}", example)])
        return check(payload)

    def respond(self, caller: Caller, round_: int, answer: str,
                given: OpeningGiven = BY_REQUEST) -> dict[str, Any]:
        """A party accepts or rejects the current round's proposal; when every party has
        accepted it, the room closes on that package. A refused round is located where
        ``given`` says the caller wrote it."""
        self._require(caller, "party")
        if answer not in ("accept", "reject"):
            raise RoomError(422, "answer", f"unknown answer '{str(answer)[:20]}'",
                            "accept or reject")
        with self._session(write=True) as session:
            room = self._locked_room(session, caller.room_id)
            self._open_for_change(room)
            if room.mode != "mediation":
                raise RoomError(409, "room", "an elicitation room has no proposals to answer",
                                "submit your tables instead")
            proposal = self._proposal(session, room.id, room.round)
            if proposal is None:
                raise RoomError(409, "round", "there is no proposal yet",
                                "wait until every party has submitted")
            if round_ != room.round:
                when = "is over" if round_ < room.round else "has not begun"
                raise RoomError(409, given.round_place, f"round {round_} {when}; the current "
                                f"round is {room.round}",
                                f"answer the current proposal (round {room.round})")
            if not proposal.zone_exists:
                raise RoomError(409, "round", "no package every party accepts exists in this "
                                "round, so there is nothing to accept",
                                "revise your numbers, or wait for others to revise theirs")
            existing = session.scalars(select(Response).where(
                Response.proposal_id == proposal.id,
                Response.party_id == caller.party_id)).first()
            if existing is None:
                session.add(Response(proposal_id=proposal.id, party_id=caller.party_id,
                                     answer=answer, created_at=self.now()))
            else:
                existing.answer, existing.created_at = answer, self.now()
            self._audit(session, room.id, caller.who, answer, room.round)
            session.flush()
            answers = session.scalars(select(Response.answer).where(
                Response.proposal_id == proposal.id)).all()
            parties = self._parties(session, room.id)
            if len(answers) == len(parties) and all(a == "accept" for a in answers):
                room.status, room.closed_at = "closed", self.now()
                self._audit(session, room.id, "room", "close", room.round)
        return self.status(caller)

    def bid(self, caller: Caller, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Blind bidding: a party's offer (its acceptable range on every issue). When every
        party's latest offer crosses every other's on every issue, the room closes on the
        midpoint package (:func:`detente.room.mediation.crossing`); until then all anyone
        learns is that the offers do not cross yet."""
        self._require(caller, "party")
        if not isinstance(payload, Mapping):
            raise RoomError(422, "", "the bid must be a JSON object", "{\"ranges\": {...}}")
        with self._session(write=False) as session:
            room = session.get(Room, caller.room_id)
            assert room is not None
            base = json.loads(room.scenario_json)
            if room.mode != "mediation":
                raise RoomError(409, "room", "an elicitation room takes no bids",
                                "submit your tables instead")
        # Built once, outside the write lock: checking the bid and the closing read both.
        rules = mediation.BidRules.of(base)
        ranges = mediation.check_bid(base, payload, rules)
        with self._session(write=True) as session:
            room = self._locked_room(session, caller.room_id)
            self._open_for_change(room)
            session.add(Bid(party_id=caller.party_id,
                            payload_json=json.dumps(ranges, allow_nan=False),
                            created_at=self.now()))
            self._audit(session, room.id, caller.who, "bid", room.round)
            session.flush()
            bids = self._latest_bids(session, room.id)
            parties = self._parties(session, room.id)
            if all(p.id in bids for p in parties):
                package = mediation.crossing({p.label: bids[p.id] for p in parties}, rules)
                if package is not None:
                    if self._proposal(session, room.id, room.round):
                        room.round += 1
                    session.add(Proposal(room_id=room.id, round=room.round,
                                         objective="bids", zone_exists=True,
                                         package_json=json.dumps(package, allow_nan=False),
                                         created_at=self.now()))
                    room.status, room.closed_at = "closed", self.now()
                    self._audit(session, room.id, "room", "close: bids cross", room.round)
        return self.status(caller)

    @staticmethod
    def _latest_bids(session: Session, room_id: str) -> dict[int, dict[str, list[float]]]:
        rows = session.scalars(select(Bid).join(Party, Party.id == Bid.party_id)
                               .where(Party.room_id == room_id).order_by(Bid.id)).all()
        return {row.party_id: json.loads(row.payload_json) for row in rows}

    # --- the owner ----------------------------------------------------------------------
    def propose(self, caller: Caller, objective: str | None = None) -> dict[str, Any]:
        """Compute the current round's proposal now (once every party has submitted);
        ``objective`` (nash or maxmin) recomputes it with the other rule."""
        self._require(caller, "owner")
        with self._session(write=True) as session:
            room = self._locked_room(session, caller.room_id)
            self._open_for_change(room)
            if room.mode != "mediation":
                raise RoomError(409, "room", "an elicitation room pools instead of proposing",
                                "use the pooled scenario (export)")
            if objective is not None:
                options = json.loads(room.options_json)
                options["objective"] = objective
                checked = mediation.check_options(options)
                if checked != json.loads(room.options_json):
                    room.options_json = json.dumps(checked, allow_nan=False)
                    if self._proposal(session, room.id, room.round):
                        room.round += 1  # a new rule is a new round: answers start afresh
            if not self._propose_if_complete(session, room, caller.who):
                raise RoomError(409, "room", "not every party has submitted yet",
                                "wait for the parties still missing (see status)")
        return self.status(caller)

    def _propose_if_complete(self, session: Session, room: Room, who: str) -> bool:
        if self._proposal(session, room.id, room.round):
            return True
        parties = self._parties(session, room.id)
        latest = self._latest(session, room.id)
        if any(p.id not in latest for p in parties):
            return False
        numbers = {p.label: json.loads(latest[p.id].payload_json) for p in parties}
        scenario = mediation.assemble(json.loads(room.scenario_json), numbers)
        options = json.loads(room.options_json)
        result = mediation.propose(scenario, {p: n["walk_away"] for p, n in numbers.items()},
                                   options)
        proposal = Proposal(room_id=room.id, round=room.round, objective=result.objective,
                            zone_exists=result.zone_exists,
                            package_json=json.dumps(result.package, allow_nan=False)
                            if result.package is not None else None,
                            created_at=self.now())
        session.add(proposal)
        session.flush()
        for p in parties:
            if p.label in result.gains:
                session.add(Gain(proposal_id=proposal.id, party_id=p.id,
                                 gain=result.gains[p.label]))
        self._audit(session, room.id, "room" if who == "owner-default" else who, "propose",
                    room.round)
        return True

    def revoke(self, caller: Caller, label: str) -> dict[str, Any]:
        self._require(caller, "owner")
        with self._session(write=True) as session:
            room = self._locked_room(session, caller.room_id)
            party = self._party(session, room.id, label)
            party.revoked = True
            self._audit(session, room.id, "owner", f"revoke {party.label}", room.round)
        return self.status(caller)

    def reissue(self, caller: Caller, label: str) -> str:
        """A new link for a party (its old token stops working); returns the token."""
        self._require(caller, "owner")
        token = new_token()
        with self._session(write=True) as session:
            room = self._locked_room(session, caller.room_id)
            self._open_for_change(room)
            party = self._party(session, room.id, label)
            party.token_hash, party.revoked = token_hash(token), False
            self._audit(session, room.id, "owner", f"reissue {party.label}", room.round)
        return token

    def close_room(self, caller: Caller) -> dict[str, Any]:
        self._require(caller, "owner")
        with self._session(write=True) as session:
            room = self._locked_room(session, caller.room_id)
            self._open_for_change(room)
            room.status, room.closed_at = "closed", self.now()
            self._audit(session, room.id, "owner", "close", room.round)
        return self.status(caller)

    def _party(self, session: Session, room_id: str, label: str) -> Party:
        party = session.scalars(select(Party).where(Party.room_id == room_id,
                                                    Party.label == label)).first()
        if party is None:
            labels = [p.label for p in self._parties(session, room_id)]
            raise RoomError(404, "party", f"no party '{str(label)[:64]}' in this room",
                            f"parties: {', '.join(labels)}")
        return party

    # --- reading ------------------------------------------------------------------------
    def status(self, caller: Caller) -> dict[str, Any]:
        """What this caller may see of the room now (see the module docstring)."""
        with self._session(write=False) as session:
            room = session.get(Room, caller.room_id)
            assert room is not None
            parties = self._parties(session, room.id)
            latest = self._latest(session, room.id)
            out: dict[str, Any] = {
                "room": {"id": room.id, "mode": room.mode, "title": room.title,
                         "status": room.status, "round": room.round,
                         "expires_at": utc(room.expires_at).isoformat(),
                         "parties": [{"label": p.label, "submitted": p.id in latest}
                                     for p in parties]},
                "role": caller.role,
                # The skeleton (mediation) or the analyst's scenario (elicitation): the
                # tables every party fills in, public to the room.
                "scenario": json.loads(room.scenario_json),
                "options": json.loads(room.options_json),
            }
            bids = self._latest_bids(session, room.id)
            for entry, p in zip(out["room"]["parties"], parties, strict=True):
                entry["bid"] = p.id in bids
            if caller.role == "owner":
                for entry, p in zip(out["room"]["parties"], parties, strict=True):
                    entry["revoked"] = p.revoked
            else:
                own = latest.get(caller.party_id or -1)
                out["me"] = {"label": caller.label,
                             "numbers": json.loads(own.payload_json) if own else None,
                             "submitted_round": own.round if own else None,
                             "bid": bids.get(caller.party_id or -1)}
            if room.mode == "mediation":
                out["proposal"] = self._proposal_view(session, room, caller, parties)
        return out

    def _proposal_view(self, session: Session, room: Room, caller: Caller,
                       parties: list[Party]) -> dict[str, Any] | None:
        proposal = self._proposal(session, room.id, room.round)
        if proposal is None:
            return None
        answers = {r.party_id: r.answer for r in session.scalars(
            select(Response).where(Response.proposal_id == proposal.id)).all()}
        view: dict[str, Any] = {
            "round": proposal.round, "objective": proposal.objective,
            "zone_exists": proposal.zone_exists,
            "package": json.loads(proposal.package_json) if proposal.package_json else None,
            "accepted": sum(a == "accept" for a in answers.values()),
            "answered": len(answers), "parties": len(parties)}
        if caller.role == "owner":
            view["answers"] = {p.label: answers.get(p.id) for p in parties}
        else:
            gain = session.scalars(select(Gain.gain).where(
                Gain.proposal_id == proposal.id, Gain.party_id == caller.party_id)).first()
            view["my_gain"] = gain
            view["my_answer"] = answers.get(caller.party_id or -1)
        return view

    def pooled(self, caller: Caller) -> elicitation.Pooled:
        """Elicitation: the experts' tables pooled into one scenario (owner only)."""
        self._require(caller, "owner")
        with self._session(write=False) as session:
            room = session.get(Room, caller.room_id)
            assert room is not None
            if room.mode != "elicitation":
                raise RoomError(409, "room", "only an elicitation room pools tables",
                                "a mediation room proposes packages instead")
            parties = {p.id: p for p in self._parties(session, room.id)}
            latest = self._latest(session, room.id)
            judgements = [(parties[pid].weight, json.loads(sub.payload_json))
                          for pid, sub in sorted(latest.items())]
            base = json.loads(room.scenario_json)
        return elicitation.pool(base, judgements)

    def export(self, caller: Caller) -> dict[str, Any]:
        """The room's record: proposals and answers (mediation) or the pooled scenario
        (elicitation), and the audit trail. A party's export adds its own numbers and
        gains; nobody's export holds another party's."""
        status = self.status(caller)
        with self._session(write=False) as session:
            room = session.get(Room, caller.room_id)
            assert room is not None
            mode = room.mode
            parties = self._parties(session, room.id)
            labels = {p.id: p.label for p in parties}
            audit = [{"at": utc(e.at).isoformat(), "who": e.who, "action": e.action,
                      "round": e.round} for e in session.scalars(
                          select(AuditEvent).where(AuditEvent.room_id == room.id)
                          .order_by(AuditEvent.id)).all()]
            proposals = []
            for p in session.scalars(select(Proposal).where(Proposal.room_id == room.id)
                                     .order_by(Proposal.round)).all():
                entry: dict[str, Any] = {
                    "round": p.round, "objective": p.objective, "zone_exists": p.zone_exists,
                    "package": json.loads(p.package_json) if p.package_json else None,
                    "at": utc(p.created_at).isoformat()}
                answers = {labels[r.party_id]: r.answer for r in session.scalars(
                    select(Response).where(Response.proposal_id == p.id)).all()}
                if caller.role == "owner":
                    entry["answers"] = answers
                else:
                    entry["my_answer"] = answers.get(caller.label)
                    entry["my_gain"] = session.scalars(select(Gain.gain).where(
                        Gain.proposal_id == p.id, Gain.party_id == caller.party_id)).first()
                proposals.append(entry)
            mine = None
            if caller.role == "party":
                mine = [{"round": s.round, "at": utc(s.created_at).isoformat(),
                         "numbers": json.loads(s.payload_json)} for s in session.scalars(
                             select(Submission).where(Submission.party_id == caller.party_id)
                             .order_by(Submission.id)).all()]
        out: dict[str, Any] = {"format": EXPORT_FORMAT, "version": EXPORT_VERSION,
                               "room": status["room"], "options": status["options"],
                               "audit": audit}
        if mode == "mediation":
            out["proposals"] = proposals
            # The package the room closed on: every party accepted the last round's.
            closed_on_bids = bool(proposals) and proposals[-1]["objective"] == "bids"
            out["final_package"] = (proposals[-1]["package"] if proposals and (
                closed_on_bids or self._all_accepted(caller.room_id)) else None)
        elif caller.role == "owner":
            try:
                pooled = self.pooled(caller)
                out["pooled"] = {"scenario": pooled.scenario,
                                 "disagreement": pooled.disagreement,
                                 "experts": pooled.experts}
            except DetenteError:
                out["pooled"] = None
        if mine is not None:
            out["mine"] = mine
        return out

    def _all_accepted(self, room_id: str) -> bool:
        with self._session(write=False) as session:
            room = session.get(Room, room_id)
            assert room is not None
            proposal = self._proposal(session, room_id, room.round)
            if proposal is None or not proposal.zone_exists:
                return False
            answers = session.scalars(select(Response.answer).where(
                Response.proposal_id == proposal.id)).all()
            return len(answers) == len(self._parties(session, room_id)) and \
                all(a == "accept" for a in answers)
