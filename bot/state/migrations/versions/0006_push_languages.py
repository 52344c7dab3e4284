"""Pushes and digests in the chat's language: each follow and each place's digest keeps the
language of the client that set it up (NULL, as every row made before this: English).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("follows", sa.Column("language", sa.String(8), nullable=True))
    op.add_column("follow_digests", sa.Column("language", sa.String(8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("follow_digests") as batch:
        batch.drop_column("language")
    with op.batch_alter_table("follows") as batch:
        batch.drop_column("language")
