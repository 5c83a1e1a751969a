"""What the tests that start a real server on loopback share: a free port, the server in a
thread for the length of a fixture, and headless Chromium (Debian's ``chromium``, driven by
the Python ``playwright`` package; no browser download).

uvicorn and playwright are imported where used: each test module skips itself first when
they are not installed (``require_chromium`` and its own ``importorskip`` calls).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]


def require_chromium() -> None:
    """Skip the calling test module (at import) without Debian's chromium or playwright."""
    if not CHROMIUM.exists():
        pytest.skip("headless browser test needs /usr/bin/chromium (Debian package "
                    "'chromium'; scripts/test.sh installs it)", allow_module_level=True)
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(app: Any, what: str) -> Iterator[str]:
    """``app`` served by uvicorn on a free loopback port in a daemon thread; yields its
    base URL, stops the server on exit. ``what`` names it if it does not start."""
    import uvicorn

    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                        log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:  # startup, not a race: the server's own flag
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(10)


@contextmanager
def chromium() -> Iterator[Any]:
    """Headless Chromium, closed on exit."""
    from playwright import sync_api

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()
