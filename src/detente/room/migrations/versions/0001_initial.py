"""The room's first schema: rooms, parties, submissions, proposals, gains, responses, audit.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "room",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("scenario_json", sa.Text, nullable=False),
        sa.Column("options_json", sa.Text, nullable=False),
        sa.Column("owner_token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.Column("closed_at", WHEN, nullable=True),
    )
    op.create_table(
        "party",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("room_id", sa.String(32), sa.ForeignKey("room.id"), nullable=False,
                  index=True),
        sa.Column("label", sa.String(64), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("revoked", sa.Boolean, nullable=False),
        sa.Column("weight", sa.Float, nullable=False),
        sa.UniqueConstraint("room_id", "label"),
    )
    op.create_table(
        "submission",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("party_id", sa.Integer, sa.ForeignKey("party.id"), nullable=False,
                  index=True),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("payload_json", sa.Text, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
    )
    op.create_table(
        "proposal",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("room_id", sa.String(32), sa.ForeignKey("room.id"), nullable=False,
                  index=True),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("objective", sa.String(16), nullable=False),
        sa.Column("zone_exists", sa.Boolean, nullable=False),
        sa.Column("package_json", sa.Text, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.UniqueConstraint("room_id", "round"),
    )
    op.create_table(
        "gain",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("proposal_id", sa.Integer, sa.ForeignKey("proposal.id"), nullable=False,
                  index=True),
        sa.Column("party_id", sa.Integer, sa.ForeignKey("party.id"), nullable=False),
        sa.Column("gain", sa.Float, nullable=False),
        sa.UniqueConstraint("proposal_id", "party_id"),
    )
    op.create_table(
        "response",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("proposal_id", sa.Integer, sa.ForeignKey("proposal.id"), nullable=False,
                  index=True),
        sa.Column("party_id", sa.Integer, sa.ForeignKey("party.id"), nullable=False),
        sa.Column("answer", sa.String(8), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.UniqueConstraint("proposal_id", "party_id"),
    )
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("room_id", sa.String(32), sa.ForeignKey("room.id"), nullable=False,
                  index=True),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("who", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    for table in ("audit", "response", "gain", "proposal", "submission", "party", "room"):
        op.drop_table(table)
