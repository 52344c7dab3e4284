"""Conversation memory keyed by conversation (chat, and a forum topic or a person where the
front end keeps them apart) instead of by chat; each chat's memory is carried over.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversation_memory",
        sa.Column("conversation", sa.String(100), primary_key=True),
        sa.Column("turns_json", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.execute(
        "INSERT INTO conversation_memory (conversation, turns_json, updated_at) "
        "SELECT CAST(chat_id AS VARCHAR(100)), turns_json, updated_at FROM chat_memory"
    )
    op.drop_table("chat_memory")


def downgrade() -> None:
    op.create_table(
        "chat_memory",
        sa.Column("chat_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("turns_json", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.drop_table("conversation_memory")
