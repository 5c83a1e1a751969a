"""The room in headless Chromium: three parties in three browser contexts submit, the room
proposes, two accept, one revises, all accept the new round and the room closes; nothing
party A typed is visible in party B's page.

Needs Debian's ``chromium`` and the Python ``playwright`` package (as
tests/test_web_browser.py). The pages run under their own Content-Security-Policy: the test
uses selectors and locators only, never script evaluation.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser_helpers import chromium, require_chromium, serving

require_chromium()
pytest.importorskip("sqlalchemy", reason="the room extra (SQLAlchemy) is not installed")
pytest.importorskip("uvicorn", reason="the web extra (uvicorn) is not installed")
httpx = pytest.importorskip("httpx", reason="httpx is not installed")

from detente.room.api import create_room_app  # noqa: E402
from tests.room_helpers import SMALL, small_numbers  # noqa: E402

WAIT_MS = 60_000
#: What party A types: four decimals, so none can appear in B's page by coincidence.
A_NUMBERS = {"stances": {"X": {"position": 10.1234, "salience": 0.8123},
                         "Y": {"position": 6.0321, "salience": 0.2345}},
             "trust": {"B": 0.6789, "C": 0.4321}, "walk_away": 0.1357}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = str(tmp_path_factory.mktemp("room-browser") / "room.db")
    with serving(create_room_app(db, allowed_hosts=["127.0.0.1"]), "the room server") as url:
        yield url


def fill(page: Any, numbers: dict[str, Any]) -> None:
    for issue, stance in numbers["stances"].items():
        for field in ("position", "salience"):
            page.fill(f'[data-loc="stances.{issue}.{field}"]', str(stance[field]))
    for other, value in numbers["trust"].items():
        page.fill(f'[data-loc="trust.{other}"]', str(value))
    page.fill("#walk-away", str(numbers["walk_away"]))


def visible_text(page: Any) -> str:
    values = [box.input_value() for box in page.locator("input").all()]
    return page.inner_text("body") + "\n" + "\n".join(values)


def test_three_parties_negotiate_in_the_browser(server: str) -> None:
    with httpx.Client(base_url=server) as client:
        opened = client.post("/api/rooms", json={"scenario": SMALL}).json()
    with chromium() as browser:
        pages: dict[str, Any] = {}
        errors: list[str] = []
        refused: set[tuple[str, int]] = set()
        for party in "ABC":
            page = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
            page.on("pageerror", lambda err: errors.append(str(err)))
            page.on("response", lambda r: refused.add((r.url.split("/")[-1], r.status))
                    if r.status >= 400 else None)
            page.goto(server + opened["links"][party])
            page.wait_for_selector("body[data-ready=true]", timeout=WAIT_MS)
            pages[party] = page

        # A types a bad salience first: the loader's message appears next to the cell.
        fill(pages["A"], A_NUMBERS)
        pages["A"].fill('[data-loc="stances.X.salience"]', "1.5")
        pages["A"].click("#submit")
        pages["A"].wait_for_selector(".msg", timeout=WAIT_MS)
        assert "salience 1.5 is outside 0-1" in pages["A"].inner_text(".msg")
        pages["A"].fill('[data-loc="stances.X.salience"]', "0.8123")
        pages["A"].click("#submit")
        pages["A"].wait_for_selector('li[data-party="A"]:text("submitted")', timeout=WAIT_MS)
        for party in "BC":
            fill(pages[party], small_numbers(party))
            pages[party].click("#submit")
        for page in pages.values():
            page.wait_for_selector("body[data-state=proposed]", timeout=WAIT_MS)
            assert page.locator("#package tbody tr").count() == 2
        assert "Your gain from this package" in pages["B"].inner_text("#my-gain")

        # Two accept; C revises its numbers, which opens round 2.
        for party in "AB":
            pages[party].click("#accept")
            pages[party].wait_for_selector("#answers:text('you: accept')", timeout=WAIT_MS)
        pages["C"].fill('[data-loc="stances.Y.salience"]', "0.9")
        pages["C"].click("#submit")
        for page in pages.values():
            page.wait_for_selector('body[data-round="2"][data-state=proposed]',
                                   timeout=WAIT_MS)
        for party in "ABC":
            pages[party].click("#accept")
        for page in pages.values():
            page.wait_for_selector("body[data-state=closed]", timeout=WAIT_MS)
        assert "every party accepted" in pages["B"].inner_text("#status")

        # The mediator's page: who answered what, the package; no party's numbers.
        owner = browser.new_context().new_page()
        owner.goto(server + opened["owner_link"])
        owner.wait_for_selector("body[data-state=closed]", timeout=WAIT_MS)
        assert "A: accept, B: accept, C: accept" in owner.inner_text("#answers")
        assert owner.is_hidden("#numbers-box") and owner.is_visible("#owner-box")

        # Nothing A typed is in B's page or the mediator's (text or any field).
        typed_by_a = ["10.1234", "0.8123", "6.0321", "0.2345", "0.6789", "0.4321", "0.1357"]
        for page in (pages["B"], owner):
            seen = visible_text(page)
            assert not [v for v in typed_by_a if v in seen]
        assert "0.8123" in visible_text(pages["A"]), "A's own page keeps A's numbers"
        assert not errors, errors
        # The only refusals: A's bad salience (422) and maybe the browser's favicon request.
        assert ("submission", 422) in refused
        assert refused <= {("submission", 422), ("favicon.ico", 404)}, refused
