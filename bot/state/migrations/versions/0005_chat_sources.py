"""Per-chat sources (issue 29): the collections each chat answers from (none listed: every
collection), and the collection each feed's articles are indexed into (NULL: `main`).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chat_sources",
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column("collection", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", "collection"),
    )
    op.add_column("feeds", sa.Column("collection", sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        batch.drop_column("collection")
    op.drop_table("chat_sources")
