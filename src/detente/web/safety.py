"""Limits that keep the workbench safe with any input: sizes, nesting, aliases, bodies.

Every check returns :class:`~detente.errors.Problem` objects so the page shows them the
way it shows the loader's own messages.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, Protocol

from detente import LoadLimits, Problem, ScenarioError, parse_yaml
from detente import structure_problems as loader_structure_problems

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True)
class Limits:
    """What one request may ask of the workbench (``detente serve --help`` sets some)."""

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

    def public(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def structure_problems(raw: Any, limits: Limits, where: str = "") -> list[Problem]:
    """Nesting, node count, text length and non-finite numbers of a parsed document.

    The walk is the loader's own (:func:`detente.safeload.structure_problems`) with the
    workbench's tighter limits, so the web and the command line apply one rule.
    """
    problems = loader_structure_problems(raw, limits.max_depth, limits.max_nodes,
                                         limits.max_text)
    if where:
        problems = [Problem(f"{where}.{p.location}" if p.location else where, p.message, p.fix,
                            p.line) for p in problems]
    return problems[:1]


def size_problems(raw: Any, limits: Limits) -> list[Problem]:
    """Actors, issues, packages and roadmaps beyond what the workbench accepts."""
    if not isinstance(raw, dict):
        return []
    problems = []
    for key, most, word in (("actors", limits.max_actors, "actor"),
                            ("issues", limits.max_issues, "issue"),
                            ("packages", limits.max_packages, "package"),
                            ("roadmaps", limits.max_roadmaps, "roadmap")):
        items = raw.get(key)
        if isinstance(items, list) and len(items) > most:
            problems.append(Problem(key, f"{_plural(len(items), word)} is more than this "
                                    f"workbench accepts ({most})",
                                    f"use at most {most}, or run the command line, which has "
                                    "no such limit"))
    for k, roadmap in enumerate(raw.get("roadmaps") or [] if isinstance(raw.get("roadmaps"),
                                                                        list) else []):
        stages = roadmap.get("stages") if isinstance(roadmap, dict) else None
        if isinstance(stages, list) and len(stages) > limits.max_stages:
            problems.append(Problem(f"roadmaps[{k}].stages",
                                    f"{len(stages)} stages is more than this workbench "
                                    f"accepts ({limits.max_stages})",
                                    f"use at most {limits.max_stages} stages"))
    return problems


def check_mapping(raw: Any, limits: Limits, source: str = "<workbench>") -> None:
    """Raise a ScenarioError when a scenario mapping breaks the workbench's limits."""
    problems = structure_problems(raw, limits) or size_problems(raw, limits)
    if problems:
        raise ScenarioError(problems, source)


def check_yaml_text(text: str, limits: Limits, source: str) -> None:
    """Refuse YAML that is too large, too deep, has duplicate keys or expands through
    aliases beyond the limits ('billion laughs'): the loader's own guard
    (:func:`detente.safeload.parse_yaml`), with the workbench's limits."""
    parse_yaml(text, source, LoadLimits.from_env().tightened(
        max_bytes=limits.max_upload_bytes, max_depth=limits.max_depth,
        max_values=limits.max_nodes))


class BodyLimit:
    """ASGI middleware: answer 413 with a clear JSON message to an oversized request body."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

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
        import json

        body = json.dumps({
            "detail": f"the request is larger than {self.max_bytes // 1024} KiB, the most "
                      "this workbench accepts",
            "problems": [{"location": "", "message": "request too large",
                          "fix": "upload a smaller scenario, or start the workbench with a "
                                 "larger --max-upload", "line": None}],
        }).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


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
