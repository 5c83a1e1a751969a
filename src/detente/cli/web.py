"""`detente serve`: the local web workbench (needs the `web` extra)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from detente import (
    DEFAULT_SCENARIO,
    Option,
    ServerLimits,
    check_options,
    host_names,
    is_loopback,
    needs_extra,
    option_error,
)
from detente.cli.common import app, err_console, reports_errors

#: serve's --time-limit, declared as an analysis option is: read as text and checked by the
#: spec, so that a number past the float range is quoted as written, not called inf.
TIME_LIMIT = Option("time_limit", float, ServerLimits.time_limit_s, "Seconds one "
                    "computation may run before it is stopped.", unit="seconds", low=1,
                    flags=("--time-limit",), label="time limit")


@app.command()
@reports_errors
def serve(
    scenario: Annotated[str | None, typer.Argument(
        help=f"Embedded scenario the page opens with (default {DEFAULT_SCENARIO}); upload "
             "files in the page.", show_default=False, metavar="SCENARIO")] = None,
    host: Annotated[str, typer.Option(help="Address to listen on. Anything but 127.0.0.1 "
                                           "lets other machines reach the workbench.")
                    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=0, max=65535)] = 8765,
    time_limit: Annotated[str | None, typer.Option(
        *TIME_LIMIT.cli_flags, help=escape(TIME_LIMIT.help_text()), metavar=TIME_LIMIT.metavar,
        show_default=False)] = None,
    max_upload: Annotated[int, typer.Option(
        "--max-upload", help="Largest upload, in KiB.", min=1)
    ] = ServerLimits.max_upload_bytes // 1024,
    open_browser: Annotated[bool, typer.Option("--open/--no-open",
                                               help="Open the page in a browser.")] = False,
    db: Annotated[str | None, typer.Option(
        "--db", help="Also serve the negotiation room on this database (a SQLite file or "
                     "a postgresql:// URL; loopback only: see `detente room serve`).")] = None,
) -> None:
    """Open the local web workbench: edit a scenario, run the analyses, see the figures."""
    given = {} if time_limit is None else {TIME_LIMIT.name: time_limit}
    time_limit_s = check_options((TIME_LIMIT,), given, "serve")[TIME_LIMIT.name]
    with needs_extra("serve", "the web workbench needs FastAPI and uvicorn", "web"):
        import uvicorn

        from detente.web.app import create_app
    allowed = host_names(host)
    if allowed is None:
        err_console.print(f"[bold yellow]warning[/]: listening on {host}: anyone who can reach "
                          "this machine can use the workbench and its CPU. Use the default "
                          "--host 127.0.0.1 unless you mean it.")
    limits = ServerLimits(time_limit_s=time_limit_s, max_upload_bytes=max_upload * 1024,
                          max_body_bytes=max(2 * max_upload * 1024, 64 * 1024))
    if db is not None and not is_loopback(host):
        raise option_error("--host", "the room serves private numbers: with --db the "
                           "workbench listens on loopback only", "use `detente room serve "
                           "--expose` with TLS or a reverse proxy (docs/room.md)")
    web_app = create_app(scenario, limits=limits, allowed_hosts=allowed, room_db=db)
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
    err_console.print(f"detente workbench on {url}  (Ctrl+C stops it)")
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    uvicorn.run(web_app, host=host, port=port, log_level="warning")
