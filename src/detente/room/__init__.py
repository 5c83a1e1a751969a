"""The negotiation room: parties (or experts) enter their numbers privately; detente finds
the zone of agreement and proposes a package (mediation) or pools the experts' tables into
one scenario with distributions (elicitation). See docs/room.md.

Needs the ``room`` extra (SQLAlchemy, Alembic, psycopg); the HTTP API also the ``web``
extra.
"""

from detente.room.service import Caller, OpenedRoom, RoomError, RoomService

__all__ = ["Caller", "OpenedRoom", "RoomError", "RoomService"]
