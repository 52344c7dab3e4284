"""The shared state: answers and feedback, prompt versions, feeds, uploads, chat memory,
rate-limit windows, indexing jobs, and the record of legacy files imported.

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


def upgrade() -> None:
    op.create_table(
        "answers",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("chat_id", sa.BigInteger),
        sa.Column("user_id", sa.BigInteger),
        sa.Column("asked_at", sa.Float, nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answer_json", sa.Text, nullable=False),
        sa.Column("refused", sa.Boolean, nullable=False),
        sa.Column("latency_ms", sa.Float, nullable=False),
        sa.Column("prompt_version", sa.String(64), nullable=False),
    )
    op.create_index("answers_asked_at", "answers", ["asked_at"])
    op.create_table(
        "feedback",
        sa.Column("answer_id", sa.BigInteger, sa.ForeignKey("answers.id"), nullable=False),
        sa.Column("user_id", sa.BigInteger, nullable=False),
        sa.Column("vote", sa.SmallInteger, nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("answer_id", "user_id"),
    )
    op.create_index("feedback_at", "feedback", ["at"])
    op.create_table(
        "prompt_versions",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("from_default", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("name", "number"),
    )
    op.create_table(
        "feeds",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("url", sa.Text, nullable=False, unique=True),
        sa.Column("added_at", sa.Float, nullable=False),
    )
    op.create_table(
        "uploads",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("uploaded_at", sa.Float, nullable=False),
    )
    op.create_table(
        "chat_memory",
        sa.Column("chat_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("turns_json", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "rate_windows",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("stamps_json", sa.Text, nullable=False),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("payload_json", sa.Text, nullable=False),
        sa.Column("chat_id", sa.BigInteger),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("started_at", sa.Float),
        sa.Column("finished_at", sa.Float),
        sa.Column("worker", sa.String(200)),
        sa.Column("result_json", sa.Text),
    )
    op.create_index("jobs_status", "jobs", ["status", "id"])
    op.create_table(
        "legacy_imports",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "legacy_imports",
        "jobs",
        "rate_windows",
        "chat_memory",
        "uploads",
        "feeds",
        "prompt_versions",
        "feedback",
        "answers",
    ):
        op.drop_table(table)
