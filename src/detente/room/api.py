"""The room's HTTP API and page: a FastAPI router (mounted by the workbench) and a
standalone app (``detente room serve``).

Every request names its room in the path and carries its token in
``Authorization: Bearer TOKEN``; the page keeps the token in the link's fragment
(``/room/ID#token=…``), which browsers never send to a server or in a Referer.
Refusals are JSON ``{"detail", "problems": [{location, message, fix, line}]}`` with the
status of :class:`~detente.room.service.RoomError` (401, 403, 404, 409, 410, 422, 429).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from fastapi import APIRouter, Body, FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import ConfigDict, Field

from detente.errors import DetenteError
from detente.room.service import RoomError, RoomService, token_hash
from detente.serving import Guards, RequestBody, ServerLimits, install_guards, problem_response

STATIC_DIR = Path(str(resources.files("detente.room") / "static"))
#: The largest request a room accepts: a party's numbers are a few KiB; an elicitation
#: room opened over a scenario file may need more.
MAX_BODY_BYTES = 512 * 1024
GUARDS = Guards(
    csp=("default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; "
         "img-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
         "form-action 'none'"),
    own_page="the room's own page", origin_refused="cross-origin request refused",
    failure_detail="the server failed on this request",
    failure_fix="the server log has the details", log=logging.getLogger("detente.room"),
    # The room's limit is fixed (MAX_BODY_BYTES): no flag of `room serve` raises it.
    too_large="the request is larger than {kib} KiB, the most this room accepts",
    too_large_fix="send a smaller request (a smaller scenario, to open a room): no flag of "
                  "`room serve` raises this limit")


class RateLimiter:
    """At most ``limit`` calls per ``window_s`` seconds per key (a sliding window).

    ``clock`` is injectable so tests never wait on real time.
    """

    def __init__(self, limit: int = 30, window_s: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window_s, self.clock = limit, window_s, clock
        self._calls: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> float | None:
        """None when the call may go ahead, else the seconds to wait."""
        now = self.clock()
        with self._lock:
            calls = self._calls.setdefault(key, deque())
            while calls and calls[0] <= now - self.window_s:
                calls.popleft()
            if len(calls) >= self.limit:
                return max(calls[0] + self.window_s - now, 0.0)
            calls.append(now)
            return None


class OpenBody(RequestBody):
    # Python's JSON reader takes NaN and Infinity: the typed numbers (weights, expires_days)
    # refuse them as not finite, rather than by a bound NaN happens to fail.
    model_config = ConfigDict(allow_inf_nan=False)

    mode: Literal["mediation", "elicitation"] = "mediation"
    scenario: str | dict[str, Any] | None = Field(
        default=None, description="An embedded scenario id (never a path: the server reads "
                                  "no file a request names), or a scenario (the file format "
                                  "as JSON). Default korea-2017.")
    parties: list[str] | None = Field(default=None, max_length=200, description=(
        "Mediation: the actors who negotiate (default all). Elicitation: expert labels."))
    options: dict[str, Any] = Field(default={}, description="objective, step, utility, "
                                    "correlation, losses, weighting, method")
    title: str | None = Field(default=None, max_length=200)
    expires_days: float = Field(default=14, gt=0, le=365)
    weights: dict[str, float] = Field(default={}, description="Elicitation: pool weights.")


class AnswerBody(RequestBody):
    round: int = Field(ge=1)
    answer: Literal["accept", "reject"]


class ProposeBody(RequestBody):
    objective: str | None = None


class PartyBody(RequestBody):
    party: str = Field(max_length=64)


def _error(err: DetenteError, status: int) -> JSONResponse:
    problems = err.problems
    detail = problems[0].message if len(problems) == 1 else \
        f"{len(problems)} problems (see the list)"
    return problem_response(status, detail, problems)


def _answers(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a refused request into its JSON error, wherever the router is mounted."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RoomError as err:
            response = _error(err, err.status)
            if err.retry_after is not None:
                response.headers["Retry-After"] = str(err.retry_after)
            return response
        except DetenteError as err:
            return _error(err, 422)

    return wrapper


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def room_router(service: RoomService, submissions: RateLimiter | None = None,
                openings: RateLimiter | None = None, limits: ServerLimits | None = None
                ) -> APIRouter:
    """The room's routes over ``service``; ``submissions`` limits each token's state
    changes, ``openings`` each client's new rooms."""
    submissions = submissions or RateLimiter(30, 60)
    openings = openings or RateLimiter(20, 3600)
    limits = limits or ServerLimits()
    router = APIRouter()

    def caller(room_id: str, request: Request) -> Any:
        return service.authenticate(room_id, _bearer(request))

    def limited(key: str, limiter: RateLimiter) -> None:
        wait = limiter.allow(key)
        if wait is not None:
            raise RoomError(429, "", "too many requests", f"wait {wait:.0f} s and try again",
                            retry_after=int(wait) + 1)

    def changing(room_id: str, request: Request) -> Any:
        who = caller(room_id, request)
        limited(token_hash(_bearer(request) or ""), submissions)
        return who

    def well_formed(document: Any, where: str = "") -> None:
        """Refuse a document too deep, too large or with non-finite numbers before the
        service reads it (the workbench's limits)."""
        problems = limits.structure_problems(document, where)
        if problems:
            raise RoomError(422, problems[0].location, problems[0].message, problems[0].fix)

    @router.get("/room/{room_id}", include_in_schema=False)
    def page(room_id: str) -> FileResponse:
        # The page holds no data: it reads its token from the link's fragment and asks the
        # API, so serving it to anyone reveals nothing.
        return FileResponse(STATIC_DIR / "room.html", media_type="text/html")

    @router.post("/api/rooms", status_code=201, summary="Open a room (mediation or "
                 "elicitation); returns the owner's and each party's token, shown once")
    @_answers
    def open_room(body: OpenBody, request: Request) -> Any:
        limited(f"open:{request.client.host if request.client else ''}", openings)
        if isinstance(body.scenario, dict):
            well_formed(body.scenario, "scenario")
        opened = service.open_room(body.mode, body.scenario, body.parties, body.options,
                                   body.title, dt.timedelta(days=body.expires_days),
                                   body.weights)
        return JSONResponse({
            "room": opened.room_id, "owner_token": opened.owner_token,
            "owner_link": f"/room/{opened.room_id}#token={opened.owner_token}",
            "parties": opened.tokens,
            "links": {label: f"/room/{opened.room_id}#token={token}"
                      for label, token in opened.tokens.items()}}, status_code=201)

    def shows(path: str, summary: str, read: Callable[[Any], Any]) -> None:
        """A read-only route: what ``read`` (a service method) gives the caller's token."""

        def handler(room_id: str, request: Request) -> Any:
            return read(caller(room_id, request))

        handler.__name__ = read.__name__  # the route's name and OpenAPI operation id
        router.get(path, summary=summary)(_answers(handler))

    shows("/api/rooms/{room_id}", "The room as this token may see it", service.status)

    def takes_document(path: str, summary: str, act: Callable[[Any, dict[str, Any]], Any]
                       ) -> None:
        """A party's change carried as a JSON document (numbers, tables, an offer): rate
        limited, its structure checked, then handed to ``act`` (a service method)."""

        def handler(room_id: str, request: Request,
                    payload: dict[str, Any] = Body(...)) -> Any:  # noqa: B008
            who = changing(room_id, request)
            well_formed(payload)
            return act(who, payload)

        handler.__name__ = act.__name__
        router.post(path, summary=summary)(_answers(handler))

    takes_document("/api/rooms/{room_id}/submission", "A party enters or revises its own "
                   "numbers (mediation) or tables (elicitation)", service.submit)
    takes_document("/api/rooms/{room_id}/bid", "Blind bidding: a party's offer, {ranges: "
                   "{ISSUE: [low, high]}}; the room closes when all offers cross", service.bid)

    @router.post("/api/rooms/{room_id}/response", summary="Accept or reject the proposal")
    @_answers
    def respond(room_id: str, body: AnswerBody, request: Request) -> Any:
        return service.respond(changing(room_id, request), body.round, body.answer)

    @router.post("/api/rooms/{room_id}/propose", summary="Owner: propose now, or with "
                 "another objective")
    @_answers
    def propose(room_id: str, request: Request, body: ProposeBody | None = None) -> Any:
        return service.propose(changing(room_id, request), body.objective if body else None)

    @router.post("/api/rooms/{room_id}/revoke", summary="Owner: revoke a party's link")
    @_answers
    def revoke(room_id: str, body: PartyBody, request: Request) -> Any:
        return service.revoke(changing(room_id, request), body.party)

    @router.post("/api/rooms/{room_id}/reissue", summary="Owner: a new link for a party")
    @_answers
    def reissue(room_id: str, body: PartyBody, request: Request) -> Any:
        token = service.reissue(changing(room_id, request), body.party)
        return {"party": body.party, "token": token,
                "link": f"/room/{room_id}#token={token}"}

    @router.post("/api/rooms/{room_id}/close", summary="Owner: close the room")
    @_answers
    def close(room_id: str, request: Request) -> Any:
        return service.close_room(changing(room_id, request))

    shows("/api/rooms/{room_id}/export", "The room's record and audit trail", service.export)

    @router.get("/api/rooms/{room_id}/pooled.yaml", summary="Elicitation, owner: the pooled "
                "scenario as a file for `detente sample`")
    @_answers
    def pooled(room_id: str, request: Request) -> Any:
        result = service.pooled(caller(room_id, request))
        text = yaml.safe_dump(result.scenario, sort_keys=False, allow_unicode=True)
        return Response(text, media_type="application/yaml", headers={
            "Content-Disposition": f'attachment; filename="{result.scenario["id"]}.yaml"'})

    return router


def create_room_app(db: str, allowed_hosts: list[str] | None = None,
                    submissions: RateLimiter | None = None,
                    openings: RateLimiter | None = None,
                    now: Callable[[], dt.datetime] | None = None) -> FastAPI:
    """The room on its own (``detente room serve``): the router, the page, and the same
    guards as the workbench — Origin check on state-changing requests, Host check against
    DNS rebinding, body limit, strict CSP."""
    service = RoomService(db, now=now) if now else RoomService(db)
    app = FastAPI(title="detente room", docs_url=None, redoc_url=None)
    app.state.room_service = service
    install_guards(app, GUARDS, MAX_BODY_BYTES, allowed_hosts)
    app.include_router(room_router(service, submissions, openings))
    mount_static(app)
    return app


def mount_room(app: FastAPI, db: str) -> RoomService:
    """Add the room to another app (the workbench, ``detente serve --db``), which brings its
    own Origin, Host and body-size guards."""
    service = RoomService(db)
    app.state.room_service = service
    app.include_router(room_router(service))
    mount_static(app)
    return service


def mount_static(app: FastAPI) -> None:
    app.mount("/room-static", StaticFiles(directory=STATIC_DIR), name="room-static")
