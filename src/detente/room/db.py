"""The room's tables (SQLAlchemy 2) and the database they live in.

SQLite by default (one file, nothing to install); PostgreSQL for shared deployments
(``postgresql://…``, driven by psycopg 3). The schema is created and upgraded only by the
Alembic migrations in ``detente/room/migrations`` (:func:`migrate`), never by
``create_all``, so a database made by an older version is upgraded in place.

What is stored: tokens only as SHA-256 hashes; each party's numbers as it submitted them
(readable through the API by that party alone); proposals; per-party gains; an audit trail
of who did what in which round, when, without any value.
"""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    make_url,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from detente.errors import OptionError, Problem, needs_extra

#: The schema version this code needs (the head of the migrations).
SCHEMA_HEAD = "0002"


class Base(DeclarativeBase):
    pass


def utc(value: dt.datetime) -> dt.datetime:
    """A timestamp read back from SQLite has lost its zone; every stored time is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class Room(Base):
    __tablename__ = "room"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    mode: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    #: mediation: the skeleton (issues, actors, institutions; no stances);
    #: elicitation: the full scenario the experts start from. JSON, the file format.
    scenario_json: Mapped[str] = mapped_column(Text)
    #: The settlement options (objective, step, utility, weighting, method), JSON.
    options_json: Mapped[str] = mapped_column(Text)
    owner_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    round: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True),
                                                          nullable=True)


class Party(Base):
    """A negotiating party (mediation) or an expert (elicitation)."""

    __tablename__ = "party"
    __table_args__ = (UniqueConstraint("room_id", "label"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("room.id"), index=True)
    #: The actor id (mediation) or the expert's label (elicitation).
    label: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    weight: Mapped[float] = mapped_column(Float, default=1.0)


class Submission(Base):
    """One party's numbers for one round: every revision is kept (the audit needs it)."""

    __tablename__ = "submission"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    payload_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Proposal(Base):
    """What the room proposed in one round: public to the room (package and existence)."""

    __tablename__ = "proposal"
    __table_args__ = (UniqueConstraint("room_id", "round"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("room.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    objective: Mapped[str] = mapped_column(String(16))
    zone_exists: Mapped[bool] = mapped_column(Boolean)
    #: issue id -> value in issue units, JSON; null when no package every party accepts.
    package_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Gain(Base):
    """One party's gain from one proposal: shown to that party only."""

    __tablename__ = "gain"
    __table_args__ = (UniqueConstraint("proposal_id", "party_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"))
    gain: Mapped[float] = mapped_column(Float)


class Response(Base):
    __tablename__ = "response"
    __table_args__ = (UniqueConstraint("proposal_id", "party_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"))
    answer: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Bid(Base):
    """One party's blind offer: per issue the range of values it accepts. Private."""

    __tablename__ = "bid"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"), index=True)
    payload_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class AuditEvent(Base):
    """Who did what in which round, when. Never a value: the audit is exported to all."""

    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("room.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    who: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    round: Mapped[int] = mapped_column(Integer)


def database_url(db: str) -> str:
    """A SQLAlchemy URL from what a user types: a URL, or a path of a SQLite file.

    ``postgresql://`` gets the psycopg 3 driver (SQLAlchemy's default is psycopg2).
    """
    if db.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + db.split("://", 1)[1]
    if "://" in db:
        if not db.startswith(("sqlite://", "postgresql+psycopg://")):
            raise OptionError([Problem("--db", f"unsupported database URL scheme "
                                       f"'{db.split('://', 1)[0]}'",
                                       "give a SQLite file path (room.db) or "
                                       "postgresql://user:password@host/dbname")])
        return db
    return f"sqlite:///{db}"


def sqlite_file(db: str) -> Path | None:
    """The file of the SQLite database ``db`` (a path or URL) names; None for a database
    server's URL or an in-memory one."""
    url = make_url(database_url(db))
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def make_engine(db: str) -> Engine:
    """An engine on ``db`` (a path or URL); SQLite set up for concurrent writers."""
    url = database_url(db)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_connect(conn: Any, _: Any) -> None:
            # pysqlite's own BEGIN handling is switched off so that every transaction starts
            # with BEGIN IMMEDIATE (below): a writer then takes the lock before it reads, so
            # two processes (the server and the command line) never decide on stale reads.
            conn.isolation_level = None
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA journal_mode=WAL")

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    with needs_extra("--db", "PostgreSQL needs psycopg 3", "room"):  # the installed extras
        return create_engine(url, pool_size=10, max_overflow=60, pool_pre_ping=True)


def migrations_folder() -> str:
    return str(resources.files("detente.room") / "migrations")


def migrate(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema to :data:`SCHEMA_HEAD` (or ``revision``) with Alembic."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", migrations_folder())
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
