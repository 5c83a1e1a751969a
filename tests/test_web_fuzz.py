"""Property-based fuzz of the workbench API from its own OpenAPI schema: no server errors."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi", reason="the web extra (FastAPI) is not installed")
schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed")

from hypothesis import HealthCheck, settings  # noqa: E402

from detente.web.app import create_app  # noqa: E402

schema = schemathesis.openapi.from_asgi("/openapi.json", create_app())


@schema.parametrize()
@settings(max_examples=20, deadline=None,
          suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_server_error(case: schemathesis.Case) -> None:
    response = case.call()
    assert response.status_code < 500, (case.method, case.path, response.text[:500])
