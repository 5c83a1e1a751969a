"""The web workbench's parameters of a registered analysis are the registry's options:
same defaults, bounds and choices as the command line (issue 14), as /api/info lists them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from detente.analyses import ANALYSES
from detente.web.app import create_app

#: The web's own names for a few options (its request format predates the registry).
WEB_NAMES = {"group_by": "group", "round": "round_number"}
#: Parameters of the page only: which of the report's figures to draw with a forecast.
WEB_ONLY = {("forecast", "figures")}


@pytest.fixture(scope="module")
def info() -> Iterator[dict]:
    with TestClient(create_app()) as client:
        response = client.get("/api/info")
        assert response.status_code == 200
        yield response.json()


def test_web_parameters_are_the_registry_options(info: dict) -> None:
    shared = [a for a in info["analyses"] if a["name"] in ANALYSES]
    assert {a["name"] for a in shared} >= {"forecast", "settle", "roadmap", "contributions",
                                           "sample", "sensitivity", "explain"}
    checked = 0
    for analysis in shared:
        spec = ANALYSES[analysis["name"]]
        for param in analysis["params"]:
            if (analysis["name"], param["name"]) in WEB_ONLY:
                continue
            option = spec.option(WEB_NAMES.get(param["name"], param["name"]))
            where = f"{analysis['name']}.{param['name']}"
            if option.multiple:  # one text field on the page, items separated by spaces
                assert param["default"] == " ".join(option.default), where
            else:
                assert param["default"] == option.default, where
            assert param["low"] == option.low and param["high"] == option.high, where
            assert param["choices"] == list(option.choices), where
            checked += 1
    assert checked >= 12
