"""The negotiation room: parties (or experts) enter their numbers privately; detente finds
the zone of agreement and proposes a package (mediation) or pools the experts' tables into
one scenario with distributions (elicitation). See docs/room.md.

Needs the ``room`` extra (SQLAlchemy, Alembic, psycopg); the HTTP API also the ``web``
extra. Nothing is imported until used, so ``detente room --help`` works without them.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Caller", "OpenedRoom", "RoomError", "RoomService"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from detente.room import service

        return getattr(service, name)
    raise AttributeError(name)
