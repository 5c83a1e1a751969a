"""The local web workbench (``detente serve``; needs the ``web`` extra: FastAPI, uvicorn).

``create_app()`` builds the FastAPI app; :mod:`detente.web.analyses` adapts each analysis of
the library to the page; :mod:`detente.web.jobs` runs them off the request thread with a
time limit; its limits are :class:`detente.ServerLimits` (here ``Limits``).
"""

from detente import ServerLimits as Limits

__all__ = ["Limits", "create_app"]


def create_app(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
    """Build the workbench app (imported lazily so that FastAPI stays optional)."""
    from detente.web.app import create_app as build

    return build(*args, **kwargs)  # type: ignore[arg-type]
