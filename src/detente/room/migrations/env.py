"""Alembic environment of the room's database: run from :func:`detente.room.db.migrate`,
which hands over an open connection (no alembic.ini, no URL read from a file)."""

from __future__ import annotations

from alembic import context

from detente.room.db import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached by running alembic by hand
    raise SystemExit("run the room's migrations through detente.room.db.migrate(engine)")
context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
