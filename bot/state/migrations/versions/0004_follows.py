"""Follows: the topics a chat (or a forum topic of it) follows, when each place was last sent
a push, with the matches held back by the per-chat rate limit, and each place's daily digest
and time zone (issue 28).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "follows",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column("thread_id", sa.BigInteger, nullable=False),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("follows_chat", "follows", ["chat_id", "thread_id", "id"])
    op.create_table(
        "follow_pushes",
        sa.Column("place", sa.String(60), primary_key=True),
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column("last_push_at", sa.Float),
        sa.Column("held_json", sa.Text, nullable=False),
        sa.Column("dropped", sa.Integer, nullable=False),
    )
    op.create_table(
        "follow_digests",
        sa.Column("place", sa.String(60), primary_key=True),
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("at_minute", sa.Integer),
        sa.Column("next_at", sa.Float),
        sa.Column("last_at", sa.Float),
        sa.Column("sent_keys_json", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("follow_digests")
    op.drop_table("follow_pushes")
    op.drop_index("follows_chat", table_name="follows")
    op.drop_table("follows")
