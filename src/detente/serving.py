"""What detente's two servers share: the workbench (``detente serve``, :mod:`detente.web`)
and the negotiation room (``detente room serve``, :mod:`detente.room.api`).

* :class:`ServerLimits`: what one request may ask of a server, with the checks of a
  scenario against them (the loader's own walks, with a server's tighter limits);
* :func:`install_guards`: the guards every request passes and every answer carries --
  another site's state changes refused (:func:`cross_origin`), Host names checked (DNS
  rebinding), bodies bounded (:class:`BodyLimit`), hardened headers (:func:`harden`), and
  errors answered as JSON ``{"detail", "problems": [{location, message, fix, line}]}``
  (:func:`problem_response`) with internals kept in the server log;
* :func:`is_loopback`: whether a server's address is reachable from this machine only.

The two servers differ only in their content policies and the words of their refusals
(:class:`Guards`) and in their body limits. FastAPI is imported where a server is built,
so ``detente room --help`` and ``detente serve --help`` load none of it.
"""

from __future__ import annotations

import ipaddress
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar, Protocol
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict

from detente.analyses.spec import AnalysisSpec, Option, check_options
from detente.errors import OptionError, Problem, ScenarioError, problems_as_json
from detente.safeload import LoadLimits, parse_yaml
from detente.safeload import structure_problems as loader_structure_problems

if TYPE_CHECKING:
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse

    from detente.scenario import Scenario

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


# ---------------------------------------------------------------------------------------
# Limits
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerLimits:
    """What one request may ask of the workbench (``detente serve --help`` sets some); the
    room checks the documents it is sent against the same structure limits."""

    max_body_bytes: int = 2 * 1024 * 1024
    max_upload_bytes: int = 1024 * 1024
    max_actors: int = 40
    max_issues: int = 40
    max_packages: int = 200
    max_roadmaps: int = 50
    max_stages: int = 20
    max_nodes: int = 200_000
    max_depth: int = 24
    max_text: int = 20_000
    time_limit_s: float = 120.0
    max_running_jobs: int = 2
    max_samples: int = 20_000

    def __post_init__(self) -> None:
        # Built in code too (create_app(limits=...)): a time limit no timer can wait crashed
        # every job's timer, so no job was ever stopped. (Tests hold jobs to under the
        # command line's 1 s least.)
        longest = float(TIME_LIMIT.high or 0)
        if not 0 < self.time_limit_s <= longest:
            raise OptionError([Problem(TIME_LIMIT.flag, f"a time limit of {self.time_limit_s!r}"
                                       f" s: a job's timer waits above 0 and at most "
                                       f"{longest:g} s", f"give e.g. {TIME_LIMIT.flag} "
                                       f"{TIME_LIMIT.default:g}")])

    @classmethod
    def served(cls, given: Mapping[str, Any]) -> ServerLimits:
        """The limits ``detente serve`` runs with, from its options (:data:`SERVE_OPTIONS`,
        as written: every problem refused at once, by flag). The body holds an upload's
        text as a JSON string, escapes and all: twice the upload, and never so little that
        a scenario edited on the page cannot be sent."""
        checked = check_options(SERVE_OPTIONS, given, "serve")
        upload = checked[MAX_UPLOAD.name] * 1024
        return cls(time_limit_s=checked[TIME_LIMIT.name], max_upload_bytes=upload,
                   max_body_bytes=max(2 * upload, 64 * 1024))

    def public(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def held_to(self, spec: AnalysisSpec) -> AnalysisSpec:
        """``spec`` as this server runs it: its ``samples`` option (where it has one) bounded
        by :attr:`max_samples` where the declared bound is higher, so that refusals,
        ``/api/info`` and the report's settings name the bound the server runs; its default
        held to the bound too, so that a request that gives no count runs the most the
        server runs, never a default it would refuse."""
        most = self.max_samples
        return replace(spec, options=tuple(
            replace(o, high=most, default=min(o.default, most)
                    if isinstance(o.default, int) else o.default)
            if o.name == "samples" and (o.high is None or o.high > most) else o
            for o in spec.options))

    def structure_problems(self, raw: Any, where: str = "") -> list[Problem]:
        """Nesting, node count, text length and non-finite numbers of a parsed document
        (the first problem only), located under ``where``.

        The walk is the loader's own (:func:`detente.safeload.structure_problems`) with the
        server's tighter limits, so a server and the command line apply one rule.
        """
        problems = loader_structure_problems(raw, self.max_depth, self.max_nodes,
                                             self.max_text)
        if where:
            problems = [Problem(f"{where}.{p.location}" if p.location else where, p.message,
                                p.fix, p.line) for p in problems]
        return problems[:1]

    def size_problems(self, raw: Any) -> list[Problem]:
        """Actors, issues, packages and roadmaps beyond what the workbench accepts."""
        if not isinstance(raw, dict):
            return []
        problems = []
        for key, most, word in (("actors", self.max_actors, "actor"),
                                ("issues", self.max_issues, "issue"),
                                ("packages", self.max_packages, "package"),
                                ("roadmaps", self.max_roadmaps, "roadmap")):
            items = raw.get(key)
            if isinstance(items, list) and len(items) > most:
                problems.append(Problem(key, f"{_plural(len(items), word)} is more than this "
                                        f"workbench accepts ({most})",
                                        f"use at most {most}, or run the command line, which "
                                        "has no such limit"))
        roadmaps = raw.get("roadmaps")
        for k, roadmap in enumerate(roadmaps if isinstance(roadmaps, list) else []):
            stages = roadmap.get("stages") if isinstance(roadmap, dict) else None
            if isinstance(stages, list) and len(stages) > self.max_stages:
                problems.append(Problem(f"roadmaps[{k}].stages",
                                        f"{len(stages)} stages is more than this workbench "
                                        f"accepts ({self.max_stages})",
                                        f"use at most {self.max_stages} stages"))
        return problems

    def check_scenario(self, raw: Any, source: str = "<workbench>") -> None:
        """Raise a ScenarioError when a scenario mapping breaks these limits."""
        problems = self.structure_problems(raw) or self.size_problems(raw)
        if problems:
            raise ScenarioError(problems, source)

    def check_yaml_text(self, text: str, source: str) -> None:
        """Refuse YAML that is too large, too deep, has duplicate keys or expands through
        aliases beyond the limits ('billion laughs'): the loader's own guard
        (:func:`detente.safeload.parse_yaml`), with these limits."""
        parse_yaml(text, source, LoadLimits.from_env().tightened(
            max_bytes=self.max_upload_bytes, max_depth=self.max_depth,
            max_values=self.max_nodes))

    def read_mapping(self, raw: Any, source: str = "<workbench>") -> Scenario:
        """A scenario sent as a mapping (JSON), refused where it breaks these limits."""
        from detente.scenario import scenario_from_mapping

        self.check_scenario(raw, source)
        return scenario_from_mapping(raw, source)

    def read_file(self, text: str, name: str) -> Scenario:
        """A scenario file's text (an upload) read by the command line's loader (the file
        name's suffix picks the reader), refused where it breaks these limits."""
        from detente.scenario import file_kind, parse_text

        size = len(text.encode("utf-8"))
        if size > self.max_upload_bytes:
            kib = -(-size // 1024)  # rounded up: never "1024 KiB; ... up to 1024 KiB"
            raise FileTooLarge([Problem("", f"the file is {kib} KiB; this workbench "
                                        f"accepts files up to {self.max_upload_bytes // 1024} "
                                        "KiB", f"upload a smaller file, or {RAISE_UPLOAD}")],
                                name)
        suffix = file_kind(name)
        if suffix == ".yaml":
            self.check_yaml_text(text, name)
        try:
            scenario = parse_text(text, suffix, name)
        except RecursionError:
            raise ScenarioError([Problem("", "the file is nested too deeply",
                                         "check its structure")], name) from None
        self.check_scenario(scenario.to_dict(), name)
        return scenario


#: The limits ``detente serve`` sets, declared as an analysis's options are: read as text and
#: checked by the spec (a number past the float range quoted as written, not called inf;
#: every problem at once, in the rule's own words).
#: At most a week: a job's timer (threading) cannot wait past TIMEOUT_MAX (49 days on
#: Windows); a longer limit left every job unstopped and the runs waited on answering 500.
TIME_LIMIT = Option("time_limit", float, ServerLimits.time_limit_s, "Seconds one "
                    "computation may run before it is stopped.", unit="seconds", low=1,
                    high=7 * 24 * 3600, label="time limit")
MAX_UPLOAD = Option("max_upload", int, ServerLimits.max_upload_bytes // 1024,
                    "Largest file the page may upload.", unit="KiB", low=1,
                    label="largest upload")
SERVE_OPTIONS = (TIME_LIMIT, MAX_UPLOAD)
#: How a workbench lets larger files in: the fix of a refused upload, and of a refused body.
RAISE_UPLOAD = f"start the workbench with a larger {MAX_UPLOAD.flag}"
#: How a workbench lets longer computations run: the fix of a job stopped at the limit.
RAISE_TIME_LIMIT = f"start the workbench with a longer {TIME_LIMIT.flag}"


class FileTooLarge(ScenarioError):
    """A file over :attr:`ServerLimits.max_upload_bytes`: answered 413, as a body over the
    body limit is (:func:`install_guards`)."""


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


# ---------------------------------------------------------------------------------------
# Where a server listens
# ---------------------------------------------------------------------------------------

#: The Host names a server listening on loopback answers to (its Host-header check).
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")


def is_loopback(host: str) -> bool:
    """Whether a server listening on ``host`` is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_names(host: str, exposed: list[str] | None = None) -> list[str] | None:
    """The Host headers a server listening on ``host`` answers to: on loopback only the
    loopback names (a web page in another tab cannot rebind a name of its own to this
    server); elsewhere ``exposed`` (``detente room serve --allow-host``), None for any."""
    return list(LOOPBACK_HOSTS) if is_loopback(host) else list(exposed or []) or None


# ---------------------------------------------------------------------------------------
# Requests and refusals
# ---------------------------------------------------------------------------------------


class RequestBody(BaseModel):
    """A JSON request body: a field the API does not declare is refused (422), not ignored."""

    model_config = ConfigDict(extra="forbid")
    #: The fix for a top-level field the body does not declare (a typo, a retired field),
    #: ``{fields}`` standing for those it does; empty: the schema's address.
    unknown_field_fix: ClassVar[str] = ""


def _unknown_field_fix(route: Any) -> str:
    """The :attr:`RequestBody.unknown_field_fix` of a route's body, its fields filled in."""
    body = getattr(route, "body_field", None)
    model = getattr(getattr(body, "field_info", None), "annotation", None)
    if not (isinstance(model, type) and issubclass(model, RequestBody)):
        return ""
    return model.unknown_field_fix.format(fields=", ".join(model.model_fields))


def refusal(detail: str, problems: Iterable[Problem]) -> dict[str, Any]:
    """The body of a refusal as both servers send it: ``{"detail", "problems"}``."""
    return {"detail": detail, "problems": problems_as_json(problems)}


def problem_response(status: int, detail: str, problems: Iterable[Problem]) -> JSONResponse:
    """A refusal (:func:`refusal`) with ``status``."""
    from fastapi.responses import JSONResponse

    return JSONResponse(refusal(detail, problems), status_code=status)


#: Methods that change state: a browser sends them cross-origin only when a page of another
#: site makes it, so they are refused when their Origin is not this server.
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin_key(scheme: str, netloc: str) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) with the scheme's default port filled in; None if unparsable."""
    try:
        parts = urlsplit(f"{scheme}://{netloc}")
        port = parts.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:
        return None
    return (scheme.lower(), (parts.hostname or "").lower(), port)


def cross_origin(method: str, origin: str | None, scheme: str, host: str | None) -> bool:
    """Whether a request must be refused as cross-origin (a CSRF guard).

    Only state-changing methods are checked. No Origin header (command-line clients, curl,
    scripts) is allowed; an Origin is allowed only when it is this server itself (scheme,
    host and port of the Host header). ``null`` (sandboxed frames, file pages) is refused.
    """
    if method.upper() not in UNSAFE_METHODS or origin is None:
        return False
    parts = urlsplit(origin.strip())
    if not parts.scheme or not parts.netloc or parts.path not in ("", "/"):
        return True
    mine = _origin_key(scheme, host or "")
    theirs = _origin_key(parts.scheme, parts.netloc)
    return mine is None or theirs is None or mine != theirs


class Headers(Protocol):
    def __setitem__(self, key: str, value: str) -> None: ...


def harden(headers: Headers, csp: str) -> None:
    """The headers every response of the workbench and the room carries: the page's content
    policy, no type sniffing, no referrer, nothing cached (a response may hold a party's
    numbers)."""
    headers["Content-Security-Policy"] = csp
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"
    headers["Cache-Control"] = "no-store"


class BodyLimit:
    """ASGI middleware: answer 413 with a clear JSON message to an oversized request body."""

    def __init__(self, app: ASGIApp, max_bytes: int, guards: Guards) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.guards = guards

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > self.max_bytes
            except ValueError:
                too_big = False
            if too_big:
                await self._refuse(send)
                return
        received = 0
        refused = False
        started = False

        async def limited_receive() -> Message:
            # A body without Content-Length (chunked) is counted as it streams in. Past the
            # limit the 413 is sent here and the app is told the client left: raising
            # instead would reach FastAPI's body parser, which answers 400.
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    refused = True
                    if not started:
                        await self._refuse(send)
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 has been sent; whatever the app answers is dropped
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except Exception:
            if not refused:
                raise

    async def _refuse(self, send: Send) -> None:
        # Raw ASGI messages, not problem_response: this runs below the app, while the
        # request body is still arriving.
        body = json.dumps(refusal(
            self.guards.too_large.format(kib=self.max_bytes // 1024),
            [Problem("", "request too large", self.guards.too_large_fix)])).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


# ---------------------------------------------------------------------------------------
# The guards of a server
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Guards:
    """What differs between the two servers' guards: the content policy and the words of
    their refusals.

    ``own_page``: where a refused cross-origin request should come from instead;
    ``origin_refused``: the refusal's detail, ``{origin!r}`` standing for the Origin sent;
    ``failure_detail``/``failure_fix``: the answer to an unexpected error (500), whose
    text goes to ``log`` only; ``too_large``/``too_large_fix``: the answer to a body over
    the server's limit (413), ``{kib}`` standing for the limit, the fix naming what raises
    it on this server, if anything does (the workbench's :data:`MAX_UPLOAD`; the room's is
    fixed).
    """

    csp: str
    own_page: str
    origin_refused: str
    failure_detail: str
    failure_fix: str
    log: logging.Logger
    too_large: str
    too_large_fix: str


def install_guards(app: FastAPI, guards: Guards, max_body_bytes: int,
                   allowed_hosts: list[str] | None) -> None:
    """Add the shared guards to a server (see the module's docstring).

    ``max_body_bytes``: the largest request body (413 beyond). ``allowed_hosts``: the Host
    headers to accept (against DNS rebinding); None accepts any.
    A :class:`~detente.errors.DetenteError` that no route answered itself is a 422.
    """
    from fastapi import Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import Response
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    from detente.errors import DetenteError

    @app.exception_handler(DetenteError)
    async def detente_error(_: Request, err: DetenteError) -> JSONResponse:
        return problem_response(413 if isinstance(err, FileTooLarge) else 422, str(err),
                                err.problems)

    @app.exception_handler(RequestValidationError)
    async def request_error(request: Request, err: RequestValidationError) -> JSONResponse:
        # A validator's own fix (the ``fix`` of its error's context), or the body's own for
        # a field it lacks, says more than the schema's address.
        unknown = _unknown_field_fix(request.scope.get("route"))
        problems = [Problem(".".join(str(p) for p in e["loc"]), e["msg"],
                            (e.get("ctx") or {}).get("fix")
                            or (unknown if e["type"] == "extra_forbidden"
                                and len(e["loc"]) == 2 else "")
                            or "see /openapi.json for the request format")
                    for e in err.errors()]
        return problem_response(422, "the request does not match the API", problems)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, err: Exception) -> JSONResponse:
        # The exception's text names internals (or a party's numbers): it goes to the
        # server log, never to the caller.
        guards.log.error("%s %s failed", request.method, request.url.path, exc_info=err)
        return problem_response(500, guards.failure_detail, [Problem(
            request.url.path, "internal error", guards.failure_fix)])

    @app.middleware("http")
    async def guard(request: Request, call_next: Any) -> Response:
        """Refuse another site's state changes; every answer carries the hardened headers."""
        origin = request.headers.get("origin")
        response: Response
        if cross_origin(request.method, origin, request.url.scheme,
                        request.headers.get("host")):
            detail = guards.origin_refused.format(origin=(origin or "")[:100])
            response = problem_response(403, detail, [Problem(
                "Origin", "another site's page sent this request", f"use {guards.own_page}, "
                "or send the request without an Origin header (scripts, curl)")])
        else:
            response = await call_next(request)
        harden(response.headers, guards.csp)
        return response

    app.add_middleware(BodyLimit, max_bytes=max_body_bytes, guards=guards)
    if allowed_hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)


__all__ = ["LOOPBACK_HOSTS", "MAX_UPLOAD", "RAISE_TIME_LIMIT", "RAISE_UPLOAD", "SERVE_OPTIONS",
           "TIME_LIMIT", "BodyLimit", "Guards", "RequestBody", "ServerLimits", "cross_origin",
           "harden", "host_names", "install_guards", "is_loopback", "problem_response",
           "refusal"]
