"""`detente serve`: the local web workbench (needs the `web` extra)."""

from __future__ import annotations

import inspect
from typing import Annotated

import typer

from detente import (
    DEFAULT_SCENARIO,
    SERVE_OPTIONS,
    ServerLimits,
    host_names,
    is_loopback,
    needs_extra,
    option_error,
)
from detente.cli.common import app, err_console, reports_errors
from detente.cli.registry import option_parameter


def serve(
    scenario: Annotated[str | None, typer.Argument(
        help=f"Embedded scenario the page opens with (default {DEFAULT_SCENARIO}); upload "
             "files in the page.", show_default=False, metavar="SCENARIO")] = None,
    host: Annotated[str, typer.Option(help="Address to listen on. Anything but 127.0.0.1 "
                                           "lets other machines reach the workbench.")
                    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=0, max=65535)] = 8765,
    open_browser: Annotated[bool, typer.Option("--open/--no-open",
                                               help="Open the page in a browser.")] = False,
    db: Annotated[str | None, typer.Option(
        "--db", help="Also serve the negotiation room on this database (a SQLite file or "
                     "a postgresql:// URL; loopback only: see `detente room serve`).")] = None,
    **limits: str | None,
) -> None:
    """Open the local web workbench: edit a scenario, run the analyses, see the figures."""
    served = ServerLimits.served({k: v for k, v in limits.items() if v is not None})
    with needs_extra("serve", "the web workbench needs FastAPI and uvicorn", "web"):
        import uvicorn

        from detente.web.app import create_app
    allowed = host_names(host)
    if allowed is None:
        err_console.print(f"[bold yellow]warning[/]: listening on {host}: anyone who can reach "
                          "this machine can use the workbench and its CPU. Use the default "
                          "--host 127.0.0.1 unless you mean it.")
    if db is not None and not is_loopback(host):
        raise option_error("--host", "the room serves private numbers: with --db the "
                           "workbench listens on loopback only", "use `detente room serve "
                           "--expose` with TLS or a reverse proxy (docs/room.md)")
    web_app = create_app(scenario, limits=served, allowed_hosts=allowed, room_db=db)
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
    err_console.print(f"detente workbench on {url}  (Ctrl+C stops it)")
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    uvicorn.run(web_app, host=host, port=port, log_level="warning")


# The limits (--time-limit, --max-upload) are flags generated from their declarations
# (detente.SERVE_OPTIONS) as an analysis's options are, and checked by ServerLimits.served.
serve.__signature__ = inspect.Signature([  # type: ignore[attr-defined]
    *[p for p in inspect.signature(serve, eval_str=True).parameters.values()
      if p.kind is not p.VAR_KEYWORD],
    *map(option_parameter, SERVE_OPTIONS)])
app.command()(reports_errors(serve))
